"""Proposing a change: one branch, one commit, one PR found by `head=owner:branch`; stale bases refused."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.providers.github import ChangeProposal, Conflict, FileChange, GitHubRepo, StaleBase
from reconciler.sandbox.github import GitHubStandIn, Repo
from reconciler.sandbox.github.faults import duplicate_pull_request, server_error, stale_sha
from tests.fixtures.github import GITHUB_FILES
from tests.github.helpers import open_pull

pytestmark = pytest.mark.integration  # PyGithub against the stand-in over a loopback socket

PATH = "desired-state/production.yaml"
ORIGINAL = GITHUB_FILES[PATH].encode()
BRANCH = "reconciler/drift-production"
PULLS = "/repos/{owner}/{repo}/pulls"
REF = "/repos/{owner}/{repo}/git/refs/{ref}"


def adopt(version: bytes, previous: bytes = ORIGINAL, body: str = "Adopt live replicas into git.") -> ChangeProposal:
    change = FileChange(PATH, ORIGINAL.replace(b"1.4.2", version), previous)
    return ChangeProposal(BRANCH, "Adopt live state: production", body, "drift: adopt live values", (change,))


def open_pulls(repo: Repo) -> list[int]:
    return [n for n, p in repo.pulls.items() if repo.issues[n].state == "open"]


def test_a_change_opens_one_pr_with_one_commit_touching_only_its_file(gh: GitHubRepo, github_repo: Repo) -> None:
    made = gh.propose_change(adopt(b"1.4.3"))
    assert made.action == "created"
    assert open_pulls(github_repo) == [made.number]
    files = github_repo.files(BRANCH)
    assert files[PATH] == ORIGINAL.replace(b"1.4.2", b"1.4.3")
    main = github_repo.files("main")
    assert {p: c for p, c in files.items() if p != PATH} == {p: c for p, c in main.items() if p != PATH}
    head = github_repo.git.commits[github_repo.branch_sha(BRANCH) or ""]
    assert head.parents == (github_repo.branch_sha("main"),)
    assert made.head_sha == head.sha


def test_an_existing_pr_is_updated_not_duplicated(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    first = gh.propose_change(adopt(b"1.4.3"))
    again = gh.propose_change(adopt(b"1.4.3"))
    assert (again.action, again.number, again.head_sha) == ("unchanged", first.number, first.head_sha)
    newer = gh.propose_change(adopt(b"1.4.4", body="Live moved again."))
    assert (newer.action, newer.number) == ("updated", first.number)
    assert open_pulls(github_repo) == [first.number]
    assert github_repo.files(BRANCH)[PATH] == ORIGINAL.replace(b"1.4.2", b"1.4.4")
    assert "Live moved again." in (github_repo.issues[first.number].body or "")
    assert github_stand_in.count("POST", PULLS) == 1


def test_the_pr_is_looked_up_by_owner_and_branch(gh: GitHubRepo, github_client: Any, github_repo: Repo) -> None:
    theirs = open_pull(github_client, "someone-else")  # a bare-branch lookup would return this one too
    ours = gh.propose_change(adopt(b"1.4.3"))
    assert ours.number != theirs
    assert gh.propose_change(adopt(b"1.4.5")).number == ours.number
    assert sorted(open_pulls(github_repo)) == sorted([theirs, ours.number])


def test_a_stale_base_is_refused_before_anything_is_written(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    person = ORIGINAL.replace(b"1.4.2", b"1.5.0")
    github_repo.commit_files({PATH: person}, message="a person bumps production")
    github_stand_in.reset_counter()
    with pytest.raises(StaleBase) as refused:
        gh.propose_change(adopt(b"1.4.3"))  # computed from the file before the person's commit
    assert str(refused.value).startswith(f"{PATH} changed on main since it was read")
    assert "nothing was written" in str(refused.value)
    assert all(r.method == "GET" for r in github_stand_in.requests)
    assert github_repo.files("main")[PATH] == person and github_repo.branch_sha(BRANCH) is None


def test_an_unrelated_commit_on_main_is_not_stale(gh: GitHubRepo, github_repo: Repo) -> None:
    github_repo.commit_files({"README.md": "# infra, edited\n"})
    made = gh.propose_change(adopt(b"1.4.3"))
    assert made.action == "created"
    assert github_repo.files(BRANCH)["README.md"] == b"# infra, edited\n"


def test_a_new_file_must_not_exist_yet(gh: GitHubRepo) -> None:
    new = ChangeProposal(BRANCH, "t", "b", "m", (FileChange("README.md", b"mine\n", None),))
    with pytest.raises(StaleBase, match="README.md changed on main since it was read .it was absent"):
        gh.propose_change(new)


def test_a_branch_with_a_persons_commits_is_never_overwritten(gh: GitHubRepo, github_repo: Repo) -> None:
    github_repo.commit_files({"notes.md": "mine\n"}, branch=BRANCH, message="a person's work")
    before = github_repo.branch_sha(BRANCH)
    with pytest.raises(Conflict, match=f"branch {BRANCH} has commits the reconciler did not make"):
        gh.propose_change(adopt(b"1.4.3"))
    assert github_repo.branch_sha(BRANCH) == before


def test_a_stale_sha_from_github_surfaces_clearly(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    gh.propose_change(adopt(b"1.4.3"))
    github_stand_in.faults.add(stale_sha(PATH, "f" * 40), method="PATCH", route=REF)
    with pytest.raises(Conflict) as refused:
        gh.propose_change(adopt(b"1.4.4"))
    assert str(refused.value) == (f"GitHub moving branch {BRANCH}: {PATH} does not match {'f' * 40} (409)")


def test_a_duplicate_pr_answer_with_no_open_pr_is_a_clear_error(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    github_stand_in.faults.add(duplicate_pull_request(f"fixia:{BRANCH}"), method="POST", route=PULLS)
    with pytest.raises(Conflict) as refused:
        gh.propose_change(adopt(b"1.4.3"))
    message = str(refused.value)
    assert message.startswith(f"GitHub refused to open a pull request from fixia:{BRANCH} into main and none is open")
    assert f"A pull request already exists for fixia:{BRANCH}. (422)" in message


def test_a_pr_opened_by_a_concurrent_run_is_used_after_the_duplicate_answer(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    # The POST lands but GitHub answers 422 "already exists", as when a concurrent run won the race.
    github_stand_in.faults.add(duplicate_pull_request(f"fixia:{BRANCH}"), method="POST", route=PULLS, landed=True)
    made = gh.propose_change(adopt(b"1.4.3"))
    assert open_pulls(github_repo) == [made.number]


def test_a_pr_whose_answer_was_lost_is_found_not_reopened(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    github_stand_in.faults.add(server_error(502), method="POST", route=PULLS, landed=True)
    made = gh.propose_change(adopt(b"1.4.3"))
    assert made.action == "created" and open_pulls(github_repo) == [made.number]
    assert github_stand_in.count("POST", PULLS) == 1


def test_pr_files_are_listed_and_the_pr_found_by_branch(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    assert gh.find_pull(BRANCH) is None
    made = gh.propose_change(adopt(b"1.4.3"))
    assert gh.pull_request_files(made.number) == (PATH,)
    github_stand_in.reset_counter()
    found = gh.find_pull(BRANCH)
    assert found is not None and (found.number, found.head_sha) == (made.number, made.head_sha)
    assert github_stand_in.count() == 1


def test_a_file_can_be_deleted(gh: GitHubRepo, github_repo: Repo) -> None:
    gone = ChangeProposal(BRANCH, "t", "b", "m", (FileChange("README.md", None, GITHUB_FILES["README.md"].encode()),))
    gh.propose_change(gone)
    assert "README.md" not in github_repo.files(BRANCH)
