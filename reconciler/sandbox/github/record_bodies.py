"""JSON bodies of the GitHub stand-in for records: commit statuses, check runs, deployments and their statuses,
and workflow runs. Like `bodies`, each sets what the state knows and lets `skeleton.complete` add the rest."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.github.bodies import api, html, node_id, repository, user
from reconciler.sandbox.github.skeleton import complete
from reconciler.sandbox.github.state import CheckRun, Deployment, DeploymentStatus, Repo, Status, WorkflowRun


def status(base: str, repo: Repo, item: Status) -> dict[str, Any]:
    url = f"{api(base, repo)}/statuses/{item.sha}"
    partial = {
        "url": url,
        "avatar_url": None,
        "id": item.id,
        "node_id": node_id("SC", item.id),
        "state": item.state,
        "description": item.description,
        "target_url": item.target_url,
        "context": item.context,
        "created_at": item.created_at,
        "updated_at": item.created_at,
        "creator": user(base, item.creator),
    }
    return complete("status", partial, url)


def check_run(base: str, repo: Repo, item: CheckRun) -> dict[str, Any]:
    url = f"{api(base, repo)}/check-runs/{item.id}"
    output = {
        "title": item.output.get("title"),
        "summary": item.output.get("summary"),
        "text": item.output.get("text"),
        "annotations_count": len(item.output.get("annotations", [])),
        "annotations_url": f"{url}/annotations",
    }
    partial = {
        "id": item.id,
        "node_id": node_id("CR", item.id),
        "head_sha": item.head_sha,
        "external_id": item.external_id,
        "url": url,
        "html_url": f"{html(base, repo)}/runs/{item.id}",
        "details_url": item.details_url,
        "status": item.status,
        "conclusion": item.conclusion,
        "started_at": item.started_at,
        "completed_at": item.completed_at,
        "output": output,
        "name": item.name,
        "check_suite": {"id": item.id},
        "app": None,
        "pull_requests": [],
    }
    return complete("check-run", partial, url)


def deployment(base: str, repo: Repo, item: Deployment) -> dict[str, Any]:
    url = f"{api(base, repo)}/deployments/{item.id}"
    partial = {
        "url": url,
        "id": item.id,
        "node_id": node_id("DE", item.id),
        "sha": item.sha,
        "ref": item.ref,
        "task": item.task,
        "payload": item.payload,
        "original_environment": item.environment,
        "environment": item.environment,
        "description": item.description,
        "creator": user(base, item.creator),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "statuses_url": f"{url}/statuses",
        "repository_url": api(base, repo),
        "transient_environment": item.transient_environment,
        "production_environment": item.production_environment,
    }
    return complete("deployment", partial, url)


def deployment_status(base: str, repo: Repo, item: DeploymentStatus) -> dict[str, Any]:
    deployment_url = f"{api(base, repo)}/deployments/{item.deployment_id}"
    url = f"{deployment_url}/statuses/{item.id}"
    partial = {
        "url": url,
        "id": item.id,
        "node_id": node_id("DES", item.id),
        "state": item.state,
        "creator": user(base, item.creator),
        "description": item.description,
        "environment": item.environment,
        "target_url": item.target_url,
        "created_at": item.created_at,
        "updated_at": item.created_at,
        "deployment_url": deployment_url,
        "repository_url": api(base, repo),
        "environment_url": item.environment_url,
        "log_url": item.log_url,
    }
    return complete("deployment-status", partial, url)


def workflow_run(base: str, repo: Repo, item: WorkflowRun) -> dict[str, Any]:
    url = f"{api(base, repo)}/actions/runs/{item.id}"
    commit = repo.git.commits.get(item.head_sha)
    head_commit = None
    if commit is not None:
        head_commit = {
            "id": commit.sha,
            "tree_id": commit.tree,
            "message": commit.message,
            "timestamp": commit.committer.date,
            "author": {"name": commit.author.name, "email": commit.author.email},
            "committer": {"name": commit.committer.name, "email": commit.committer.email},
        }
    partial = {
        "id": item.id,
        "name": item.name,
        "node_id": node_id("WFR", item.id),
        "head_branch": item.head_branch,
        "head_sha": item.head_sha,
        "path": item.workflow_path,
        "display_title": item.name,
        "run_number": item.run_number,
        "run_attempt": 1,
        "event": item.event,
        "status": item.status,
        "conclusion": item.conclusion,
        "workflow_id": item.workflow_id,
        "url": url,
        "html_url": f"{html(base, repo)}/actions/runs/{item.id}",
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "run_started_at": item.created_at,
        "head_commit": head_commit,
        "repository": repository(base, repo, "minimal-repository"),
        "head_repository": repository(base, repo, "minimal-repository"),
        "workflow_url": f"{api(base, repo)}/actions/workflows/{item.workflow_id}",
        "pull_requests": [],
    }
    return complete("workflow-run", partial, url)
