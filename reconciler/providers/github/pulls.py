"""Branch, commit and pull request through the git data API: one commit for all files, one PR per branch.

Safety: every edited file must still hold, on the base branch, the content the edit was computed from; otherwise the
proposal stops with `StaleBase` before writing anything. A branch the reconciler did not create is never overwritten.
Idempotence: the same proposal twice makes no second commit and no second PR (trees are content-addressed).
"""

from __future__ import annotations

from github import InputGitTreeElement, UnknownObjectException
from github.ContentFile import ContentFile
from github.GitRef import GitRef
from github.PullRequest import PullRequest
from github.Repository import Repository

from reconciler.errors import ProviderError
from reconciler.providers.github.errors import Conflict, StaleBase, call, github_errors
from reconciler.providers.github.issues import created_once, ensure_labels, fit_body
from reconciler.providers.github.records import ChangeProposal, ClosedPull, FileChange, PullRef, blob_sha, marker

# A trailer on every commit the reconciler makes; a branch whose head lacks it belongs to a person.
TRAILER = "Reconciler-Branch"


def _current_sha(repo: Repository, path: str, ref: str) -> str | None:
    try:
        found = call(f"reading {path} at {ref[:12]}", lambda: repo.get_contents(path, ref=ref))
    except ProviderError as e:
        if isinstance(e.__cause__, UnknownObjectException):
            return None
        raise
    if isinstance(found, list) or not isinstance(found, ContentFile):
        raise StaleBase(f"{path} is a directory on the base branch; expected a file")
    return str(found.sha)


def check_not_stale(repo: Repository, files: tuple[FileChange, ...], base: str, base_sha: str) -> None:
    """Refuse when any file on the base branch differs from what the edit was computed from."""
    for change in files:
        expected = None if change.previous is None else blob_sha(change.previous)
        actual = _current_sha(repo, change.path, base_sha)
        if actual != expected:
            now = "does not exist" if actual is None else f"is blob {actual[:12]}"
            was = "absent" if expected is None else f"blob {expected[:12]}"
            raise StaleBase(
                f"{change.path} changed on {base} since it was read (it was {was}, {now} at {base_sha[:12]}); "
                "nothing was written: run again to propose against the new base"
            )


def _tree_element(change: FileChange) -> InputGitTreeElement:
    if change.content is None:
        return InputGitTreeElement(change.path, "100644", "blob", sha=None)
    return InputGitTreeElement(change.path, "100644", "blob", content=change.content.decode())


def _branch_ref(repo: Repository, branch: str) -> GitRef | None:
    ref = repo.get_git_ref(f"heads/{branch}")  # lazy; reading `object` completes it from the server
    try:
        call(f"reading branch {branch}", lambda: ref.object.sha)
    except ProviderError as e:
        if isinstance(e.__cause__, UnknownObjectException):
            return None
        raise
    return ref


def _open_pull(repo: Repository, owner: str, branch: str, base: str) -> PullRequest | None:
    # `head` must be owner:branch; a bare branch name is ignored by GitHub and every PR comes back.
    with github_errors(f"listing pull requests from {owner}:{branch}"):
        return next(iter(repo.get_pulls(state="open", head=f"{owner}:{branch}", base=base)), None)


def commit_files(repo: Repository, proposal: ChangeProposal) -> tuple[str, bool]:
    """Point the proposal's branch at one commit (base + files); return (head sha, whether anything was written)."""
    base, branch = proposal.base, proposal.branch
    base_sha = call(f"reading branch {base}", lambda: repo.get_git_ref(f"heads/{base}").object.sha)
    check_not_stale(repo, proposal.files, base, base_sha)
    ref = _branch_ref(repo, branch)
    current = None if ref is None else call("reading the branch head", lambda: repo.get_git_commit(ref.object.sha))
    if current is not None and f"{TRAILER}: {branch}" not in current.message:
        raise Conflict(f"branch {branch} has commits the reconciler did not make; refusing to overwrite it")
    base_commit = call(f"reading commit {base_sha[:12]}", lambda: repo.get_git_commit(base_sha))
    elements = [_tree_element(change) for change in proposal.files]
    tree = call("writing the tree", lambda: repo.create_git_tree(elements, base_commit.tree))
    if current is not None and current.tree.sha == tree.sha and [p.sha for p in current.parents] == [base_sha]:
        return current.sha, False
    message = f"{proposal.message}\n\n{TRAILER}: {branch}\n"
    commit = call("writing the commit", lambda: repo.create_git_commit(message, tree, [base_commit]))
    if ref is None:
        created_once(
            f"creating branch {branch}",
            lambda: repo.create_git_ref(f"refs/heads/{branch}", commit.sha),
            lambda: _branch_ref(repo, branch),
        )
    else:
        # Our own branch, rebuilt on the current base: a forced move is what keeps it one clean commit.
        call(f"moving branch {branch}", lambda: ref.edit(commit.sha, force=True))
    return commit.sha, True


def propose_change(repo: Repository, owner: str, proposal: ChangeProposal) -> PullRef:
    head_sha, wrote = commit_files(repo, proposal)
    body = fit_body(marker(f"pr:{proposal.branch}"), proposal.body, None)
    existing = _open_pull(repo, owner, proposal.branch, proposal.base)
    if existing is not None:
        if existing.title == proposal.title and existing.body == body:
            return PullRef("updated" if wrote else "unchanged", existing.number, existing.html_url, head_sha)
        call(f"updating pull request #{existing.number}", lambda: existing.edit(title=proposal.title, body=body))
        return PullRef("updated", existing.number, existing.html_url, head_sha)
    try:
        pull = created_once(
            f"opening a pull request from {proposal.branch}",
            lambda: repo.create_pull(base=proposal.base, head=proposal.branch, title=proposal.title, body=body),
            lambda: _open_pull(repo, owner, proposal.branch, proposal.base),
        )
    except Conflict as e:
        # 422 "A pull request already exists": opened meanwhile by a concurrent run. Use it if we can see it.
        found = _open_pull(repo, owner, proposal.branch, proposal.base)
        if found is None:
            raise Conflict(
                f"GitHub refused to open a pull request from {owner}:{proposal.branch} into {proposal.base} "
                f"and none is open: {e}"
            ) from e
        pull = found
    if proposal.labels:
        ensure_labels(repo, proposal.labels)
        labels = list(proposal.labels)
        call(f"labelling #{pull.number}", lambda: repo.get_issue(pull.number).edit(labels=labels))
    return PullRef("created", pull.number, pull.html_url, head_sha)


def find_pull(repo: Repository, owner: str, branch: str, base: str) -> PullRef | None:
    pull = _open_pull(repo, owner, branch, base)
    if pull is None:
        return None
    return PullRef("unchanged", pull.number, pull.html_url, pull.head.sha)


def pull_request_files(repo: Repository, number: int) -> tuple[str, ...]:
    with github_errors(f"listing the files of pull request #{number}"):
        return tuple(f.filename for f in repo.get_pull(number).get_files())


def _delete_own_branch(repo: Repository, branch: str) -> str | None:
    """Delete `branch` if every commit on its head is ours (it carries the trailer); else say why it stays."""
    ref = _branch_ref(repo, branch)
    if ref is None:
        return "it no longer exists"
    head = call(f"reading the head of {branch}", lambda: repo.get_git_commit(ref.object.sha))
    if f"{TRAILER}: {branch}" not in head.message:
        return "it has commits the reconciler did not make"
    try:
        call(f"deleting branch {branch}", ref.delete)
    except ProviderError as e:
        # Deleted meanwhile (GitHub's "delete head branches" setting, a person): GitHub says 422 "does not exist".
        if isinstance(e.__cause__, UnknownObjectException) or "does not exist" in str(e):
            return None
        raise
    return None


def close_pull(repo: Repository, number: int, comment: str, delete_branch: bool) -> ClosedPull:
    pull = call(f"reading pull request #{number}", lambda: repo.get_pull(number))
    branch = pull.head.ref
    if pull.state != "open":
        return ClosedPull("absent", number, pull.html_url, branch, False, "the pull request was already closed")
    # The comment first, so the close notification already carries the reason.
    call(f"commenting on #{number}", lambda: pull.create_issue_comment(comment))
    call(f"closing pull request #{number}", lambda: pull.edit(state="closed"))
    if not delete_branch:
        return ClosedPull("closed", number, pull.html_url, branch, False, "branch deletion was not asked for")
    kept = _delete_own_branch(repo, branch)
    return ClosedPull("closed", number, pull.html_url, branch, kept is None, kept)
