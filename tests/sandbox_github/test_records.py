"""Commit statuses, check runs, deployments, workflow runs and the rate limit through PyGithub."""

from __future__ import annotations

from typing import Any

import pytest
from github import GithubException

from reconciler.sandbox.github import GitHubStandIn, Repo
from tests.fixtures.github import GITHUB_REPO

pytestmark = pytest.mark.integration  # a real loopback socket


def test_a_commit_status_is_recorded(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    commit = repo.get_branch("main").commit
    status = commit.create_status("success", target_url="http://ci/1", description="2 changes", context="plan")
    assert (status.state, status.context, status.description) == ("success", "plan", "2 changes")
    [recorded] = github_repo.statuses
    assert (recorded.sha, recorded.state, recorded.target_url) == (commit.sha, "success", "http://ci/1")
    with pytest.raises(GithubException) as bad:
        commit.create_status("bogus")
    assert bad.value.status == 422


def test_a_check_run_is_created_then_completed(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    sha = github_repo.branch_sha("main")
    run = repo.create_check_run(name="reconciler/plan", head_sha=sha, status="in_progress")
    assert (run.status, run.conclusion, run.completed_at) == ("in_progress", None, None)
    run.edit(conclusion="failure", output={"title": "Plan", "summary": "invalid desired state"})
    fetched = repo.get_check_run(run.id)
    assert (fetched.status, fetched.conclusion, fetched.output.summary) == (
        "completed",
        "failure",
        "invalid desired state",
    )
    assert fetched.completed_at is not None


def test_deployments_and_their_statuses(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    first = repo.create_deployment(ref="main", environment="production", description="api 1.4.2")
    first.create_status("success", environment_url="http://api")
    second = repo.create_deployment(ref="main", environment="production", payload={"version": "1.5.0"})
    repo.create_deployment(ref="main", environment="staging")
    second.create_status("in_progress")
    second.create_status("success")
    assert [s.state for s in second.get_statuses()] == ["success", "in_progress"]
    # A newer success makes the previous deployment of the environment inactive, as on GitHub.
    assert [s.state for s in first.get_statuses()] == ["inactive", "success"]
    production = list(repo.get_deployments(environment="production"))
    assert [d.id for d in production] == [second.id, first.id]
    assert production[0].payload == {"version": "1.5.0"}
    assert repo.get_deployment(first.id).description == "api 1.4.2"
    with pytest.raises(GithubException) as unknown:
        repo.create_deployment(ref="no-such-ref")
    assert unknown.value.status == 422


def test_seeded_workflow_runs_are_listed_newest_first(github_client: Any, github_repo: Repo) -> None:
    for day in range(1, 6):
        github_repo.add_workflow_run("drift.yml", created_at=f"2026-11-0{day}T06:17:00Z")
    github_repo.add_workflow_run("drift.yml", event="workflow_dispatch", conclusion="failure")
    github_repo.add_workflow_run("apply.yml", event="push")
    workflow = github_client.get_repo(GITHUB_REPO).get_workflow("drift.yml")
    runs = list(workflow.get_runs(event="schedule"))
    assert [r.created_at.day for r in runs] == [5, 4, 3, 2, 1]
    assert workflow.get_runs().totalCount == 6
    assert [r.conclusion for r in workflow.get_runs(status="failure")] == ["failure"]
    assert [r.event for r in workflow.get_runs(created=">=2026-11-04")] == ["workflow_dispatch", "schedule", "schedule"]


def test_runs_of_a_workflow_page_past_the_first_page(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    from github import Auth, Github

    for _ in range(5):
        github_repo.add_workflow_run("backup.yml")
    client = Github(
        auth=Auth.Token("t"),
        base_url=github_stand_in.base_url,
        per_page=2,
        retry=None,
        seconds_between_requests=None,
        lazy=True,
    )
    try:
        runs = list(client.get_repo(GITHUB_REPO).get_workflow("backup.yml").get_runs())
    finally:
        client.close()
    assert len(runs) == 5
    assert github_stand_in.count("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs") == 3


def test_rate_limit_is_reported_and_counted(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    repo.get_issues().get_page(0)
    repo.get_labels().get_page(0)
    overview = github_client.get_rate_limit()
    assert (overview.resources.core.limit, overview.resources.core.used) == (5000, 2)
    assert github_client.rate_limiting == (4998, 5000)
