"""Request budget and rate limits: an idle scheduled run makes at most 3 requests; GitHub's "slow down" is obeyed."""

from __future__ import annotations

import time

import pytest

from reconciler.errors import PermanentError, TemporaryError
from reconciler.providers.github import GitHubRepo, IssueReport, connect
from reconciler.sandbox.github import GitHubStandIn, Repo
from reconciler.sandbox.github.faults import Fault, secondary_rate_limit, server_error
from tests.fixtures.github import GITHUB_TEST_TOKEN
from tests.github.conftest import settings_for
from tests.github.helpers import file_issue

pytestmark = pytest.mark.integration  # PyGithub against the stand-in over a loopback socket

ISSUES = "/repos/{owner}/{repo}/issues"
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
IDLE_BUDGET = 3


def idle_scheduled_run(gh: GitHubRepo) -> None:
    """What a scheduled drift run does on GitHub when it finds no drift: close the issue if one is open, and check
    that its own schedule is alive (the watchdog)."""
    gh.resolve_issue("drift", "drift:production", "No drift any more.")
    gh.workflow_runs("drift.yml", event="schedule", limit=5)


def test_an_idle_scheduled_run_makes_at_most_three_requests(
    github_stand_in: GitHubStandIn, github_repo: Repo, github_client: object
) -> None:
    # A lived-in repository: people's drift issues, an old closed drift issue of ours, earlier runs.
    for i in range(3):
        file_issue(github_client, f"question {i}", "…", ["drift"])
    github_repo.add_workflow_run("drift.yml")
    with connect(settings_for(github_stand_in), {"GITHUB_TOKEN": GITHUB_TEST_TOKEN}) as gh:
        gh.report_issue(IssueReport("drift:production", "drift", "Drift", "x"))
        gh.resolve_issue("drift", "drift:production", "clean")
    github_stand_in.reset_counter()

    with connect(settings_for(github_stand_in), {"GITHUB_TOKEN": GITHUB_TEST_TOKEN}) as gh:
        idle_scheduled_run(gh)

    made = [(r.method, r.route) for r in github_stand_in.requests]
    assert made == [
        ("GET", ISSUES),  # one list-by-label answers "is a drift issue open?"
        ("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"),
    ]
    assert len(made) <= IDLE_BUDGET
    print(f"idle scheduled run: {len(made)} GitHub requests (budget {IDLE_BUDGET})")


def test_a_secondary_rate_limit_is_waited_out_then_retried(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    github_stand_in.faults.add(secondary_rate_limit(retry_after=1), method="GET", route=ISSUES)
    started = time.monotonic()
    assert gh.find_issue("drift", "drift:production") is None
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in github_stand_in.requests] == [403, 200]


def test_a_rate_limited_post_is_retried_because_it_never_landed(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    github_stand_in.faults.add(secondary_rate_limit(retry_after=0), method="POST", route=ISSUES)
    gh.report_issue(IssueReport("drift:production", "drift", "Drift", "x"))
    posts = [r.status for r in github_stand_in.requests if r.method == "POST" and r.route == ISSUES]
    assert posts == [403, 201]
    assert len([i for i in github_repo.issues.values() if not i.is_pull]) == 1


def test_429_with_retry_after_is_retried(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    too_many = Fault(429, {"message": "Too Many Requests", "documentation_url": "x"}, (("Retry-After", "0"),))
    github_stand_in.faults.add(too_many, method="GET", route=ISSUES)
    assert gh.find_issue("drift", "k") is None
    assert [r.status for r in github_stand_in.requests] == [429, 200]


def test_429_without_retry_after_asks_the_caller_to_wait_a_minute(
    gh: GitHubRepo, github_stand_in: GitHubStandIn
) -> None:
    too_many = Fault(429, {"message": "Too Many Requests", "documentation_url": "x"})
    github_stand_in.faults.add(too_many, method="GET", route=ISSUES)
    with pytest.raises(TemporaryError) as caught:
        gh.find_issue("drift", "k")
    assert caught.value.delay == 60.0
    assert str(caught.value) == "GitHub listing open issues labelled 'drift': Too Many Requests (429)"


def test_a_wait_longer_than_the_cap_is_not_slept(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    github_stand_in.faults.add(secondary_rate_limit(retry_after=3600), method="GET", route=ISSUES)
    started = time.monotonic()
    with pytest.raises(TemporaryError) as caught:
        gh.find_issue("drift", "k")
    assert time.monotonic() - started < 2
    assert caught.value.delay == 3600


def test_reads_and_edits_are_retried_after_a_server_error(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    number = gh.report_issue(IssueReport("drift:production", "drift", "Drift", "x")).number
    github_stand_in.reset_counter()
    github_stand_in.faults.add(server_error(502), method="GET", route=ISSUES)
    github_stand_in.faults.add(server_error(502), method="PATCH", route=ISSUE)
    assert gh.report_issue(IssueReport("drift:production", "drift", "Drift", "y")).action == "updated"
    assert [r.status for r in github_stand_in.requests] == [502, 200, 502, 200]
    assert (github_repo.issues[number or 0].body or "").endswith("\ny")


def test_rate_limit_is_read_from_the_last_response(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    gh.find_issue("drift", "k")
    github_stand_in.reset_counter()
    limit = gh.rate_limit()
    assert limit.limit == 5000 and limit.remaining is not None and limit.remaining < 5000
    assert github_stand_in.count() == 0  # headers of the last answer: no extra request


def test_a_permission_refusal_is_permanent_and_says_so(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    refused = Fault(403, {"message": "Resource not accessible by integration", "documentation_url": "x"})
    github_stand_in.faults.add(refused, method="POST", route=ISSUES)
    with pytest.raises(PermanentError) as caught:
        gh.report_issue(IssueReport("drift:production", "drift", "Drift", "x"))
    assert str(caught.value) == (
        "GitHub opening an issue labelled 'drift': Resource not accessible by integration (403): "
        "the token may lack a permission this job needs"
    )
    assert github_stand_in.count("POST", ISSUES) == 1


def test_bad_credentials_are_named_without_the_token(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    github_stand_in.faults.add(Fault(401, {"message": "Bad credentials", "documentation_url": "x"}))
    with pytest.raises(PermanentError) as caught:
        gh.find_issue("drift", "k")
    assert str(caught.value) == (
        "GitHub listing open issues labelled 'drift': bad credentials (401): check GITHUB_TOKEN or the App's key"
    )


def test_persistent_server_errors_end_in_a_temporary_error(gh: GitHubRepo, github_stand_in: GitHubStandIn) -> None:
    github_stand_in.faults.add(server_error(502), method="GET", times=None)
    with pytest.raises(TemporaryError, match="still failing after retries"):
        gh.find_issue("drift", "k")
    assert github_stand_in.count("GET") == 6  # the first try and five retries


def test_an_unreachable_github_is_a_temporary_error(github_stand_in: GitHubStandIn) -> None:
    closed = GitHubStandIn()
    url = closed.base_url
    closed.stop()  # never started: nothing listens on that port now
    with connect(settings_for(github_stand_in, base_url=url, retries=1), {"GITHUB_TOKEN": GITHUB_TEST_TOKEN}) as gh:
        with pytest.raises(TemporaryError, match=r"^GitHub listing open issues labelled 'drift': "):
            gh.find_issue("drift", "k")
