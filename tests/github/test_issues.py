"""Issues de-duplicated by label + hidden marker: reused across runs, updated only on change, closed with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import TemporaryError
from reconciler.providers.github import GitHubRepo, IssueReport, connect, marker
from reconciler.sandbox.github import GitHubStandIn, Repo
from reconciler.sandbox.github.faults import server_error
from tests.fixtures.github import GITHUB_TEST_TOKEN
from tests.github.conftest import settings_for
from tests.github.helpers import file_issue

pytestmark = pytest.mark.integration  # PyGithub against the stand-in over a loopback socket

ISSUES = "/repos/{owner}/{repo}/issues"
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"

KEY = "drift:production"


def drift(body: str = "| field | live | git |\n| replicas | 3 | 2 |") -> IssueReport:
    return IssueReport(KEY, "drift", "Drift in production", body, labels=("reconciler",))


def issue_bodies(repo: Repo) -> dict[int, tuple[str, str | None]]:
    return {n: (i.state, i.body) for n, i in repo.issues.items() if not i.is_pull}


def comment_count(repo: Repo, number: int) -> int:
    return sum(1 for c in repo.comments.values() if c.issue_number == number)


def test_drift_issue_is_reused_across_runs_and_closed_when_clean(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    first = gh.report_issue(drift())
    second = gh.report_issue(drift())
    assert (first.action, second.action) == ("created", "unchanged")
    assert first.number == second.number and first.number is not None
    (issue,) = [i for i in github_repo.issues.values() if not i.is_pull]
    assert issue.body == f"{marker(KEY)}\n{drift().body}"
    assert sorted(issue.labels) == ["drift", "reconciler"]
    assert comment_count(github_repo, first.number) == 0  # no comment without a state change

    closed = gh.resolve_issue("drift", KEY, "No drift any more: live matches git.")
    assert (closed.action, closed.number) == ("closed", first.number)
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert comment_count(github_repo, first.number) == 1
    assert gh.resolve_issue("drift", KEY, "still clean").action == "absent"
    assert comment_count(github_repo, first.number) == 1
    assert github_stand_in.count("POST", ISSUES) == 1


def test_body_is_updated_only_when_the_content_changes(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    number = gh.report_issue(drift("replicas 3 vs 2")).number
    github_stand_in.reset_counter()
    assert gh.report_issue(drift("replicas 3 vs 2")).action == "unchanged"
    assert github_stand_in.count("PATCH", ISSUE) == 0
    assert gh.report_issue(drift("replicas 4 vs 2")).action == "updated"
    assert github_stand_in.count("PATCH", ISSUE) == 1
    assert github_repo.issues[number or 0].body == f"{marker(KEY)}\nreplicas 4 vs 2"
    assert comment_count(github_repo, number or 0) == 0


def test_returning_condition_reopens_its_issue_with_one_comment(gh: GitHubRepo, github_repo: Repo) -> None:
    number = gh.report_issue(drift()).number
    gh.resolve_issue("drift", KEY, "clean")
    again = gh.report_issue(drift("drifted again"))
    assert (again.action, again.number) == ("reopened", number)
    issue = github_repo.issues[number or 0]
    assert (issue.state, issue.body) == ("open", f"{marker(KEY)}\ndrifted again")
    assert comment_count(github_repo, number or 0) == 2  # closed, reopened: one comment per transition
    assert len(issue_bodies(github_repo)) == 1


def test_not_planned_is_a_close_reason(gh: GitHubRepo, github_repo: Repo) -> None:
    number = gh.report_issue(drift()).number
    gh.resolve_issue("drift", KEY, "Environment removed.", reason="not_planned")
    assert github_repo.issues[number or 0].state_reason == "not_planned"


def test_issues_of_other_environments_and_people_are_left_alone(
    gh: GitHubRepo, github_repo: Repo, github_client: Any
) -> None:
    theirs = file_issue(github_client, "Drift in production?", "I think replicas drifted", ["drift"])
    staging = gh.report_issue(IssueReport("drift:staging", "drift", "Drift in staging", "x")).number
    ours = gh.report_issue(drift()).number
    assert len({theirs, staging, ours}) == 3
    gh.resolve_issue("drift", KEY, "clean")
    states = {n: state for n, (state, _) in issue_bodies(github_repo).items()}
    assert states == {theirs: "open", staging: "open", ours: "closed"}


def test_labels_are_created_once_with_our_colours(gh: GitHubRepo, github_repo: Repo) -> None:
    gh.report_issue(drift())
    assert github_repo.labels["drift"].color == "d93f0b"
    assert github_repo.labels["reconciler"].color == "5319e7"
    gh.ensure_labels(["drift", "maintenance"])
    assert sorted(github_repo.labels) == ["drift", "maintenance", "reconciler"]


def test_finding_the_issue_pages_past_the_first_page(
    github_repo: Repo, github_client: Any, github_stand_in: GitHubStandIn
) -> None:
    small_pages = settings_for(github_stand_in, per_page=5)  # 100 in production; 5 keeps the seeding quick
    with connect(small_pages, {"GITHUB_TOKEN": GITHUB_TEST_TOKEN}) as gh:
        number = gh.report_issue(drift()).number
        for i in range(12):  # newer and more recently updated than ours: ours lands on page 3
            file_issue(github_client, f"Drift noticed by hand #{i}", "see dashboard", ["drift"])
        github_stand_in.reset_counter()
        found = gh.find_issue("drift", KEY)
        assert found is not None and found.number == number
        assert github_stand_in.count("GET", ISSUES) == 3
        assert gh.report_issue(drift()).action == "unchanged"
        assert len(issue_bodies(github_repo)) == 13


def test_a_create_whose_answer_was_lost_is_looked_up_not_resent(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    # The 502 arrives before the state changes here, so the lookup finds nothing and one POST is re-sent.
    github_stand_in.faults.add(server_error(502), method="POST", route=ISSUES)
    created = gh.report_issue(drift())
    assert created.action == "created"
    assert len(issue_bodies(github_repo)) == 1
    assert [r.status for r in github_stand_in.requests if r.method == "POST" and r.route == ISSUES] == [502, 201]


def test_a_second_server_error_is_a_temporary_error(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    github_stand_in.faults.add(server_error(503), method="POST", route=ISSUES, times=2)
    with pytest.raises(TemporaryError, match=r"GitHub opening an issue labelled 'drift': Service Unavailable \(503\)"):
        gh.report_issue(drift())


def test_a_create_that_landed_but_lost_its_answer_is_found_not_duplicated(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    github_stand_in.faults.add(server_error(502), method="POST", route=ISSUES, landed=True)
    created = gh.report_issue(drift())
    assert created.action == "created"
    assert len(issue_bodies(github_repo)) == 1
    assert github_stand_in.count("POST", ISSUES) == 1  # the lookup found it: no second POST
