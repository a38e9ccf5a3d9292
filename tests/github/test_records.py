"""The audit trail: deployments and their statuses, commit statuses, check runs, workflow runs for a watchdog."""

from __future__ import annotations

import pytest

from reconciler.errors import PermanentError
from reconciler.providers.github import CheckOutput, GitHubRepo
from reconciler.sandbox.github import Repo

pytestmark = pytest.mark.integration  # PyGithub against the stand-in over a loopback socket


def test_a_deployment_and_its_statuses_are_recorded(gh: GitHubRepo, github_repo: Repo) -> None:
    deployment = gh.create_deployment("production", "main", description="api 1.4.3", production=True)
    assert deployment.sha == github_repo.branch_sha("main") and deployment.environment == "production"
    gh.set_deployment_status(deployment, "in_progress", description="deploying")
    gh.set_deployment_status(deployment, "success", description="verified", log_url="https://ci/run/1")
    stored = github_repo.deployments[deployment.id]
    assert (stored.environment, stored.production_environment, stored.ref) == ("production", True, "main")
    states = [s.state for s in github_repo.deployment_statuses[deployment.id]]
    assert states == ["in_progress", "success"]
    assert github_repo.deployment_statuses[deployment.id][-1].log_url == "https://ci/run/1"
    assert gh.latest_deployment("production") == deployment
    assert gh.latest_deployment("staging") is None


def test_commit_status_and_check_run(gh: GitHubRepo, github_repo: Repo) -> None:
    sha = github_repo.branch_sha("main") or ""
    gh.set_commit_status(sha, "failure", "reconciler/plan", "x" * 500, target_url="https://ci/run/2")
    (status,) = github_repo.statuses
    assert (status.sha, status.state, status.context) == (sha, "failure", "reconciler/plan")
    assert status.description == "x" * 140  # GitHub's limit
    run_id = gh.create_check_run(sha, "reconciler/plan", "success", CheckOutput("Plan", "2 changes"))
    run = github_repo.check_runs[run_id]
    assert (run.head_sha, run.status, run.conclusion) == (sha, "completed", "success")
    assert run.output["summary"] == "2 changes"


def test_workflow_runs_of_one_workflow_newest_first(gh: GitHubRepo, github_repo: Repo) -> None:
    github_repo.add_workflow_run("drift.yml", created_at="2026-11-26T06:17:00Z")
    github_repo.add_workflow_run("drift.yml", conclusion="failure", created_at="2026-11-26T12:17:00Z")
    github_repo.add_workflow_run("drift.yml", event="workflow_dispatch", created_at="2026-11-26T13:00:00Z")
    github_repo.add_workflow_run("backup.yml")
    runs = gh.workflow_runs("drift.yml", event="schedule")
    assert [r.conclusion for r in runs] == ["failure", "success"]
    assert {r.event for r in runs} == {"schedule"}
    assert runs[0].created_at.startswith("2026-11-26T12:17:00")
    assert len(gh.workflow_runs("drift.yml", limit=1)) == 1
    with pytest.raises(PermanentError, match=r"^GitHub listing runs of nope.yml: Not Found \(404\)$"):
        gh.workflow_runs("nope.yml")  # no such workflow: a configuration mistake, said plainly
