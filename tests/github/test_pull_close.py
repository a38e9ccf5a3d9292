"""Closing a reconciler PR (comment, close, delete only our own branch) and the one listing of labelled items."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.providers.github import ChangeProposal, FileChange, GitHubRepo, IssueReport
from reconciler.sandbox.github import GitHubStandIn, Repo
from tests.fixtures.github import GITHUB_FILES
from tests.github.helpers import file_issue, open_pull

pytestmark = pytest.mark.integration  # PyGithub against the stand-in over a loopback socket

PATH = "desired-state/production.yaml"
ORIGINAL = GITHUB_FILES[PATH].encode()
BRANCH = "reconciler/adopt-drift-production"
WHY = "Live matches git again; nothing left to adopt."


def adopt() -> ChangeProposal:
    change = FileChange(PATH, ORIGINAL.replace(b"1.4.2", b"1.4.3"), ORIGINAL)
    return ChangeProposal(
        BRANCH, "Adopt live drift into git: production", "body", "adopt", (change,), labels=("drift",)
    )


def comments_on(repo: Repo, number: int) -> list[str]:
    return [c.body for c in repo.comments.values() if c.issue_number == number]


def test_closing_our_pr_comments_why_closes_it_and_deletes_its_branch(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    number = gh.propose_change(adopt()).number
    github_stand_in.reset_counter()

    closed = gh.close_pull(number, WHY)

    assert (closed.action, closed.number, closed.branch) == ("closed", number, BRANCH)
    assert closed.branch_deleted and closed.kept_because is None
    assert github_repo.issues[number].state == "closed"
    assert comments_on(github_repo, number) == [WHY]
    assert github_repo.branch_sha(BRANCH) is None
    made = [(r.method, r.route.rsplit("/", 1)[-1]) for r in github_stand_in.requests]
    assert made == [
        ("GET", "{pull_number}"),
        ("POST", "comments"),
        ("PATCH", "{pull_number}"),
        ("GET", "{ref}"),
        ("GET", "{commit_sha}"),
        ("DELETE", "{ref}"),
    ]


def test_a_branch_with_a_persons_commit_is_kept(gh: GitHubRepo, github_repo: Repo) -> None:
    number = gh.propose_change(adopt()).number
    github_repo.commit_files({"notes.md": "my fix\n"}, branch=BRANCH, message="a person's commit")

    closed = gh.close_pull(number, WHY)

    assert closed.action == "closed" and not closed.branch_deleted
    assert closed.kept_because == "it has commits the reconciler did not make"
    assert github_repo.branch_sha(BRANCH) is not None


def test_a_branch_already_gone_is_not_an_error(gh: GitHubRepo, github_repo: Repo) -> None:
    number = gh.propose_change(adopt()).number
    del github_repo.refs[f"refs/heads/{BRANCH}"]
    closed = gh.close_pull(number, WHY)
    assert closed.action == "closed" and closed.kept_because == "it no longer exists"


def test_closing_a_closed_pr_writes_nothing(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    number = gh.propose_change(adopt()).number
    gh.close_pull(number, WHY)
    github_stand_in.reset_counter()
    again = gh.close_pull(number, WHY)
    assert again.action == "absent" and not again.branch_deleted
    assert [r.method for r in github_stand_in.requests] == ["GET"]


def test_keeping_the_branch_when_asked(gh: GitHubRepo, github_repo: Repo) -> None:
    number = gh.propose_change(adopt()).number
    closed = gh.close_pull(number, WHY, delete_branch=False)
    assert closed.action == "closed" and not closed.branch_deleted
    assert github_repo.branch_sha(BRANCH) is not None


def test_one_listing_returns_open_issues_and_prs_with_their_keys(
    gh: GitHubRepo, github_client: Any, github_stand_in: GitHubStandIn
) -> None:
    theirs = file_issue(github_client, "a person's drift question", "why?", ["drift"])
    unlabelled = open_pull(github_client, "someone-else")
    issue = gh.report_issue(IssueReport("drift:production", "drift", "Drift in production", "table"))
    pull = gh.propose_change(adopt())
    github_stand_in.reset_counter()

    items = gh.list_open("drift")

    assert github_stand_in.count() == 1
    found = {i.number: (i.is_pull, i.key) for i in items}
    assert found == {
        theirs: (False, None),
        issue.number: (False, "drift:production"),
        pull.number: (True, f"pr:{BRANCH}"),
    }
    assert unlabelled not in found
