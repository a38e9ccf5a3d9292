"""Pull requests through PyGithub against the stand-in: create, find by head, duplicates, edit, files, comments."""

from __future__ import annotations

from typing import Any

import pytest
from github import GithubException

from reconciler.sandbox.github import Repo
from tests.fixtures.github import GITHUB_REPO

pytestmark = pytest.mark.integration  # a real loopback socket

PROD = "desired-state/production.yaml"
BRANCH = "reconciler/bump-api"


@pytest.fixture
def bumped(github_repo: Repo) -> Repo:
    github_repo.commit_files({PROD: "version: 1.5.0\n"}, branch=BRANCH, message="Bump api")
    return github_repo


def test_a_pull_request_is_found_by_owner_and_branch(github_client: Any, bumped: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    bumped.commit_files({"other.txt": "x"}, branch="other")
    pr = repo.create_pull(base="main", head=BRANCH, title="Bump api", body="<!-- reconciler:pr -->")
    other = repo.create_pull(base="main", head="other", title="Other")
    assert (pr.head.ref, pr.head.sha, pr.base.ref) == (BRANCH, bumped.branch_sha(BRANCH), "main")
    found = list(repo.get_pulls(state="open", head=f"fixia:{BRANCH}", base="main"))
    assert [p.number for p in found] == [pr.number]
    # A bare branch name is ignored by GitHub: every pull request comes back.
    assert sorted(p.number for p in repo.get_pulls(head=BRANCH)) == [pr.number, other.number]
    assert list(repo.get_pulls(head="fixia:nope")) == []


def test_a_second_pull_request_for_the_same_head_is_refused(github_client: Any, bumped: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    repo.create_pull(base="main", head=BRANCH, title="Bump api")
    with pytest.raises(GithubException) as duplicate:
        repo.create_pull(base="main", head=f"fixia:{BRANCH}", title="Bump api again")
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"][0]["message"] == f"A pull request already exists for fixia:{BRANCH}."
    assert len(bumped.pulls) == 1


def test_a_head_without_new_commits_is_refused(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    github_repo.refs["refs/heads/empty"] = github_repo.branch_sha("main") or ""
    with pytest.raises(GithubException) as nothing:
        repo.create_pull(base="main", head="empty", title="Nothing")
    assert nothing.value.data["errors"][0]["message"] == "No commits between main and empty"
    with pytest.raises(GithubException) as missing:
        repo.create_pull(base="main", head="no-such-branch", title="Nothing")
    assert missing.value.data["errors"][0]["field"] == "head"


def test_pull_requests_are_edited_and_follow_their_branch(github_client: Any, bumped: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    pr = repo.create_pull(base="main", head=BRANCH, title="Bump api", body="one")
    newer = bumped.commit_files({PROD: "version: 1.5.1\n"}, branch=BRANCH).sha
    pr.edit(title="Bump api to 1.5.1", body="two")
    fetched = repo.get_pull(pr.number)
    assert (fetched.title, fetched.body, fetched.head.sha) == ("Bump api to 1.5.1", "two", newer)
    pr.edit(state="closed")
    assert repo.get_pull(pr.number).state == "closed"
    assert list(repo.get_pulls()) == []
    assert [p.number for p in repo.get_pulls(state="closed")] == [pr.number]


def test_plan_comments_go_to_the_pull_request_conversation(github_client: Any, bumped: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    pr = repo.create_pull(base="main", head=BRANCH, title="Bump api")
    comment = pr.create_issue_comment("<!-- reconciler:plan -->\nplan 1")
    next(c for c in pr.get_issue_comments() if c.body.startswith("<!-- reconciler:plan -->")).edit("plan 2")
    assert [c.body for c in pr.get_issue_comments()] == ["plan 2"]
    assert bumped.comments[comment.id].issue_number == pr.number
    # Pull requests are issues too: they show in the issue list with a /pull/ page.
    listed = list(repo.get_issues())
    assert [i.number for i in listed] == [pr.number]
    assert "/pull/" in listed[0].html_url


def test_changed_files_of_a_pull_request(github_client: Any, bumped: Repo) -> None:
    bumped.commit_files({"new.txt": "new\n", "README.md": None}, branch=BRANCH)
    pr = github_client.get_repo(GITHUB_REPO).create_pull(base="main", head=BRANCH, title="Bump api")
    assert (pr.commits, pr.changed_files, pr.additions, pr.deletions) == (2, 3, 2, 5)
    files = {f.filename: (f.status, f.additions, f.deletions) for f in pr.get_files()}
    assert files == {
        PROD: ("modified", 1, 4),
        "new.txt": ("added", 1, 0),
        "README.md": ("removed", 0, 1),
    }
