"""Labels, issues and comments through PyGithub against the stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from github import GithubException, UnknownObjectException

from reconciler.sandbox.github import GitHubStandIn, Repo
from tests.fixtures.github import GITHUB_REPO

pytestmark = pytest.mark.integration  # a real loopback socket


def test_labels_are_created_listed_and_fetched(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    created = repo.create_label("drift", "d73a4a", "Live differs from git")
    assert (created.name, created.color, created.description) == ("drift", "d73a4a", "Live differs from git")
    assert repo.get_label("drift").color == "d73a4a"
    assert [label.name for label in repo.get_labels()] == ["drift"]
    with pytest.raises(GithubException) as duplicate:
        repo.create_label("Drift", "000000")
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"][0]["code"] == "already_exists"
    with pytest.raises(UnknownObjectException):
        assert repo.get_label("nope").color  # lazy client: reading an attribute fetches it


def test_issue_list_filters_by_label_state_and_creator(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    drift = repo.create_issue(title="Drift detected", body="<!-- marker -->", labels=["drift", "reconciler"])
    other = repo.create_issue(title="Other", labels=["reconciler"])
    closed = repo.create_issue(title="Old drift", labels=["drift"])
    closed.edit(state="closed")

    assert [i.number for i in repo.get_issues(state="open", labels=["drift"])] == [drift.number]
    assert [i.number for i in repo.get_issues(labels=["reconciler"])] == [other.number, drift.number]
    assert [i.number for i in repo.get_issues(state="closed")] == [closed.number]
    assert len(list(repo.get_issues(state="all"))) == 3
    assert len(list(repo.get_issues(creator="sandbox-bot"))) == 2
    assert list(repo.get_issues(creator="someone-else")) == []
    # Labels given on creation exist in the repository afterwards, as on GitHub.
    assert sorted(label.name for label in repo.get_labels()) == ["drift", "reconciler"]


def test_closing_and_reopening_sets_state_reason(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    issue = repo.create_issue(title="Drift")
    assert (issue.state, issue.state_reason, issue.closed_at) == ("open", None, None)
    issue.edit(state="closed")
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert issue.closed_at is not None
    issue.edit(state="open")
    assert (issue.state, issue.state_reason, issue.closed_at) == ("open", "reopened", None)
    issue.edit(state="closed", state_reason="not_planned")
    assert repo.get_issue(issue.number).state_reason == "not_planned"


def test_edit_replaces_body_and_the_whole_label_set(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    issue = repo.create_issue(title="Drift", body="one", labels=["drift", "stale"])
    issue.edit(body="two", labels=["drift"])
    fetched = repo.get_issue(issue.number)
    assert (fetched.body, [label.name for label in fetched.labels]) == ("two", ["drift"])
    fetched.add_to_labels("urgent")
    assert [label.name for label in repo.get_issue(issue.number).labels] == ["drift", "urgent"]


def test_comments_are_created_listed_and_edited_in_place(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    issue = repo.create_issue(title="Drift")
    first = issue.create_comment("<!-- reconciler:drift -->\nfirst")
    issue.create_comment("someone else")
    first.edit("<!-- reconciler:drift -->\nsecond")
    bodies = [comment.body for comment in issue.get_comments()]
    assert bodies == ["<!-- reconciler:drift -->\nsecond", "someone else"]
    assert repo.get_issue(issue.number).comments == 2
    assert github_repo.comments[first.id].body.endswith("second")
    assert github_stand_in.count("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}") == 1


def test_issue_list_pages_past_the_first_page(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    from github import Auth, Github

    client = Github(
        auth=Auth.Token("t"),
        base_url=github_stand_in.base_url,
        per_page=3,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )
    try:
        repo = client.get_repo(GITHUB_REPO)
        for n in range(7):
            repo.create_issue(title=f"issue {n}")
        github_stand_in.reset_counter()
        numbers = [issue.number for issue in repo.get_issues()]
        assert numbers == [7, 6, 5, 4, 3, 2, 1]
        assert github_stand_in.count("GET", "/repos/{owner}/{repo}/issues") == 3
        assert repo.get_issues().totalCount == 7
    finally:
        client.close()


def test_missing_issue_is_unknown_object(github_client: Any, github_repo: Repo) -> None:
    with pytest.raises(UnknownObjectException):
        assert github_client.get_repo(GITHUB_REPO).get_issue(99).title


def test_search_finds_issues_by_qualifiers_after_the_index_lag(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    drift = repo.create_issue(title="Drift detected: railway/web", labels=["drift"])
    repo.create_issue(title="Drift detected: railway/api", labels=["other"])
    query = f'repo:{GITHUB_REPO} is:issue is:open label:drift in:title "railway/web"'
    found = github_client.search_issues(query)
    assert [issue.number for issue in found] == [drift.number]
    assert found.totalCount == 1

    github_stand_in.state.search_lag = 60.0
    github_repo.issues[drift.number].indexed_at -= 120  # the first issue has been in the index for a while
    repo.create_issue(title="Drift detected: railway/web again", labels=["drift"])
    # The new issue is not in the index yet, so search would miss a duplicate; the list endpoint does not.
    assert [issue.number for issue in github_client.search_issues(query)] == [drift.number]
    assert len(list(repo.get_issues(labels=["drift"]))) == 2
