"""The audit trail on GitHub: deployments and their statuses, commit statuses, check runs, and workflow runs."""

from __future__ import annotations

from typing import Any

from github.Repository import Repository

from reconciler.providers.github.errors import call, github_errors
from reconciler.providers.github.records import (
    CheckOutput,
    CommitState,
    DeploymentRef,
    DeploymentState,
    WorkflowRun,
)

# GitHub caps a commit status description at 140 characters and a check run summary at 65,535.
STATUS_DESCRIPTION_LIMIT = 140
CHECK_TEXT_LIMIT = 65_535


def create_deployment(
    repo: Repository, environment: str, ref: str, description: str, production: bool
) -> DeploymentRef:
    # auto_merge off: a deployment must never merge branches; required_contexts empty: apply has run its own gates.
    deployment = call(
        f"recording a deployment to {environment}",
        lambda: repo.create_deployment(
            ref=ref,
            environment=environment,
            description=description[:STATUS_DESCRIPTION_LIMIT],
            auto_merge=False,
            required_contexts=[],
            production_environment=production,
            transient_environment=False,
        ),
    )
    return DeploymentRef(deployment.id, environment, deployment.ref, deployment.sha)


def set_deployment_status(
    repo: Repository,
    deployment: DeploymentRef,
    state: DeploymentState,
    description: str,
    log_url: str | None,
    environment_url: str | None,
) -> None:
    extra: dict[str, Any] = {}
    if log_url:
        extra["target_url"] = log_url
    if environment_url:
        extra["environment_url"] = environment_url
    target = repo.get_deployment(deployment.id)  # lazy: no request
    call(
        f"recording deployment {deployment.id} as {state}",
        lambda: target.create_status(state, description=description[:STATUS_DESCRIPTION_LIMIT], **extra),
    )


def latest_deployment(repo: Repository, environment: str) -> DeploymentRef | None:
    with github_errors(f"listing deployments to {environment}"):
        for deployment in repo.get_deployments(environment=environment):
            return DeploymentRef(deployment.id, environment, deployment.ref, deployment.sha)
    return None


def set_commit_status(
    repo: Repository, sha: str, state: CommitState, context: str, description: str, target_url: str | None
) -> None:
    extra: dict[str, Any] = {"target_url": target_url} if target_url else {}
    commit = repo.get_commit(sha)  # lazy: no request
    call(
        f"setting status {context} on {sha[:12]}",
        lambda: commit.create_status(
            state, description=description[:STATUS_DESCRIPTION_LIMIT], context=context, **extra
        ),
    )


def create_check_run(repo: Repository, sha: str, name: str, conclusion: str, output: CheckOutput) -> int:
    payload: dict[str, Any] = {"title": output.title, "summary": output.summary[:CHECK_TEXT_LIMIT]}
    if output.text:
        payload["text"] = output.text[:CHECK_TEXT_LIMIT]
    if output.annotations:
        payload["annotations"] = [dict(a) for a in output.annotations[:50]]  # GitHub takes 50 per request
    run = call(
        f"creating check run {name}",
        lambda: repo.create_check_run(
            name=name, head_sha=sha, status="completed", conclusion=conclusion, output=payload
        ),
    )
    return int(run.id)


def workflow_runs(repo: Repository, workflow: str, event: str | None, limit: int) -> tuple[WorkflowRun, ...]:
    """The newest runs of one workflow (by file name), newest first; one request for up to 100."""
    runs: list[WorkflowRun] = []
    with github_errors(f"listing runs of {workflow}"):
        target = repo.get_workflow(workflow)  # lazy: no request
        listing = target.get_runs(event=event) if event else target.get_runs()
        for run in listing:
            created = run.created_at.isoformat() if run.created_at else ""
            runs.append(WorkflowRun(run.id, run.event, run.status, run.conclusion, created, run.head_sha, run.html_url))
            if len(runs) >= limit:
                break
    return tuple(runs)
