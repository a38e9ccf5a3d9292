"""GitHub stand-in routes for pull requests: list (with `head=owner:branch`), create, get, edit, and changed files.

Creating a second open pull request for the same head and base is GitHub's 422 "A pull request already exists for
owner:branch."; a head with nothing new over the base is 422 "No commits between ...".
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.github import bodies
from reconciler.sandbox.github.git import line_changes
from reconciler.sandbox.github.routes_issues import edit_issue
from reconciler.sandbox.github.routing import ApiError, Ctx, Response, invalid, paginate, route
from reconciler.sandbox.github.state import Issue, Pull, Repo, now


def _head_branch(repo: Repo, head: str) -> str:
    owner, sep, branch = head.rpartition(":")
    if sep and owner.lower() != repo.owner.lower():
        raise invalid("PullRequest", "head")  # heads in forks are not modelled
    return branch


def _already_exists(repo: Repo, head: str) -> ApiError:
    message = f"A pull request already exists for {repo.owner}:{head}."
    error = {"resource": "PullRequest", "code": "custom", "message": message}
    return ApiError(422, "Validation Failed", [error])


@route("POST", "/repos/{owner}/{repo}/pulls")
def create_pull(ctx: Ctx) -> Response:
    repo = ctx.repo
    title = ctx.require("title", "PullRequest")
    head = _head_branch(repo, str(ctx.require("head", "PullRequest")))
    base = str(ctx.require("base", "PullRequest"))
    head_sha, base_sha = repo.branch_sha(head), repo.branch_sha(base)
    if base_sha is None:
        raise invalid("PullRequest", "base")
    if head_sha is None:
        raise invalid("PullRequest", "head")
    for pull in repo.pulls.values():
        if pull.head == head and pull.base == base and repo.issues[pull.number].state == "open":
            raise _already_exists(repo, head)
    if repo.git.is_ancestor(head_sha, base_sha):
        error = {"resource": "PullRequest", "code": "custom", "message": f"No commits between {base} and {head}"}
        raise ApiError(422, "Validation Failed", [error])
    stamp = now()
    number = repo.next_number()
    repo.issues[number] = Issue(
        ctx.state.next_id(), number, str(title), ctx.field("body"), ctx.actor, stamp, stamp, is_pull=True
    )
    pull = Pull(
        ctx.state.next_id(),
        number,
        head,
        base,
        head_sha,
        draft=bool(ctx.field("draft", False)),
        maintainer_can_modify=bool(ctx.field("maintainer_can_modify", False)),
    )
    repo.pulls[number] = pull
    return Response(201, bodies.pull(ctx.base, repo, pull))


@route("GET", "/repos/{owner}/{repo}/pulls")
def list_pulls(ctx: Ctx) -> Response:
    repo = ctx.repo
    query = ctx.request.query
    state = query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise invalid("PullRequest", "state")
    found = []
    for pull in repo.pulls.values():
        if state != "all" and repo.issues[pull.number].state != state:
            continue
        # GitHub ignores a head without "owner:" and lists every pull request (a classic PyGithub trap).
        owner, sep, branch = query.get("head", "").partition(":")
        if sep and (owner.lower() != repo.owner.lower() or branch != pull.head):
            continue
        if "base" in query and pull.base != query["base"]:
            continue
        found.append(pull)
    found.sort(key=lambda p: p.number, reverse=query.get("direction", "desc") != "asc")
    return paginate(ctx, [bodies.pull(ctx.base, repo, pull, simple=True) for pull in found])


def _pull(ctx: Ctx, repo: Repo) -> Pull:
    return ctx.find(repo.pulls, "pull_number")


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}")
def get_pull(ctx: Ctx) -> Response:
    repo = ctx.repo
    return Response(200, bodies.pull(ctx.base, repo, _pull(ctx, repo)))


@route("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}")
def update_pull(ctx: Ctx) -> Response:
    repo = ctx.repo
    pull = _pull(ctx, repo)
    new_base = ctx.field("base")
    if new_base is not None:
        if repo.branch_sha(str(new_base)) is None:
            raise invalid("PullRequest", "base")
        pull.base = str(new_base)
    if ctx.field("state") == "open" and repo.issues[pull.number].state == "closed":
        for other in repo.pulls.values():
            if other is not pull and other.head == pull.head and repo.issues[other.number].state == "open":
                raise _already_exists(repo, pull.head)
    edit_issue(ctx, repo, repo.issues[pull.number])
    if ctx.field("maintainer_can_modify") is not None:
        pull.maintainer_can_modify = bool(ctx.field("maintainer_can_modify"))
    return Response(200, bodies.pull(ctx.base, repo, pull))


def _diff_entry(ctx: Ctx, repo: Repo, path: str, old: bytes | None, new: bytes | None, sha: str) -> dict[str, Any]:
    additions, deletions, lines = line_changes(old, new)
    status = "added" if old is None else "removed" if new is None else "modified"
    api = bodies.api(ctx.base, repo)
    return {
        "sha": sha,
        "filename": path,
        "status": status,
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
        "blob_url": f"{bodies.html(ctx.base, repo)}/blob/{sha}/{path}",
        "raw_url": f"{bodies.html(ctx.base, repo)}/raw/{sha}/{path}",
        "contents_url": f"{api}/contents/{path}?ref={sha}",
        "patch": "\n".join(lines),
    }


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files")
def list_pull_files(ctx: Ctx) -> Response:
    repo = ctx.repo
    pull = _pull(ctx, repo)
    head_sha = repo.branch_sha(pull.head) or pull.head_sha
    base_sha = repo.branch_sha(pull.base)
    if base_sha is None:
        raise ApiError(422, "The base branch no longer exists", None)
    old, new = repo.git.files_of(base_sha), repo.git.files_of(head_sha)
    entries = [
        _diff_entry(ctx, repo, path, old.get(path), new.get(path), head_sha)
        for path in sorted(set(old) | set(new))
        if old.get(path) != new.get(path)
    ]
    return paginate(ctx, entries)
