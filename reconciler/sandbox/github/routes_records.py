"""GitHub stand-in routes for the repository itself, the rate limit, and the records the reconciler leaves:
commit statuses, check runs, deployments with their statuses, and workflow runs (seeded from Python)."""

from __future__ import annotations

from reconciler.sandbox.github import bodies, record_bodies
from reconciler.sandbox.github.routing import ApiError, Ctx, Response, invalid, not_found, paginate, route
from reconciler.sandbox.github.state import CheckRun, Deployment, DeploymentStatus, Repo, Status, now

STATUS_STATES = ("error", "failure", "pending", "success")
DEPLOYMENT_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")


@route("GET", "/repos/{owner}/{repo}")
def get_repo(ctx: Ctx) -> Response:
    return Response(200, bodies.repository(ctx.base, ctx.repo))


@route("GET", "/rate_limit")
def rate_limit(ctx: Ctx) -> Response:
    state = ctx.state
    core = {
        "limit": state.rate_limit,
        "remaining": max(0, state.rate_limit - state.rate_used),
        "reset": state.rate_reset,
        "used": state.rate_used,
    }
    search = {"limit": 30, "remaining": 30, "reset": state.rate_reset, "used": 0}
    graphql = {"limit": state.rate_limit, "remaining": state.rate_limit, "reset": state.rate_reset, "used": 0}
    return Response(200, {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core})


@route("POST", "/repos/{owner}/{repo}/statuses/{sha}")
def create_status(ctx: Ctx) -> Response:
    repo = ctx.repo
    sha = ctx.params["sha"]
    if sha not in repo.git.commits:
        raise ApiError(422, f"No commit found for SHA: {sha}")
    state = ctx.require("state", "Status")
    if state not in STATUS_STATES:
        raise invalid("Status", "state")
    item = Status(
        ctx.state.next_id(),
        sha,
        str(state),
        str(ctx.field("context") or "default"),
        ctx.field("description"),
        ctx.field("target_url"),
        ctx.actor,
        now(),
    )
    repo.statuses.append(item)
    return Response(201, record_bodies.status(ctx.base, repo, item))


def _apply_check_run(ctx: Ctx, item: CheckRun) -> None:
    status = ctx.field("status")
    if status is not None:
        if status not in CHECK_STATUSES:
            raise invalid("CheckRun", "status")
        item.status = str(status)
    if ctx.field("conclusion") is not None:
        item.conclusion, item.status = str(ctx.field("conclusion")), "completed"
    if item.status == "completed" and item.completed_at is None:
        item.completed_at = str(ctx.field("completed_at") or now())
    for name in ("name", "details_url", "external_id", "started_at"):
        if ctx.field(name) is not None:
            setattr(item, name, str(ctx.field(name)))
    output = ctx.field("output")
    if isinstance(output, dict):
        item.output = dict(output)


@route("POST", "/repos/{owner}/{repo}/check-runs")
def create_check_run(ctx: Ctx) -> Response:
    repo = ctx.repo
    name = str(ctx.require("name", "CheckRun"))
    head_sha = str(ctx.require("head_sha", "CheckRun"))
    if head_sha not in repo.git.commits:
        raise invalid("CheckRun", "head_sha")
    item = CheckRun(ctx.state.next_id(), name, head_sha, "queued", None, now(), None, None, None)
    _apply_check_run(ctx, item)
    repo.check_runs[item.id] = item
    return Response(201, record_bodies.check_run(ctx.base, repo, item))


@route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
def update_check_run(ctx: Ctx) -> Response:
    repo = ctx.repo
    item = ctx.find(repo.check_runs, "check_run_id")
    _apply_check_run(ctx, item)
    return Response(200, record_bodies.check_run(ctx.base, repo, item))


@route("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
def get_check_run(ctx: Ctx) -> Response:
    repo = ctx.repo
    item = ctx.find(repo.check_runs, "check_run_id")
    return Response(200, record_bodies.check_run(ctx.base, repo, item))


@route("POST", "/repos/{owner}/{repo}/deployments")
def create_deployment(ctx: Ctx) -> Response:
    repo = ctx.repo
    ref = str(ctx.require("ref", "Deployment"))
    sha = repo.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No ref found for: {ref}")
    environment = str(ctx.field("environment") or "production")
    payload = ctx.field("payload", {})
    stamp = now()
    item = Deployment(
        ctx.state.next_id(),
        sha,
        ref,
        str(ctx.field("task") or "deploy"),
        environment,
        ctx.field("description", ""),
        payload if isinstance(payload, dict | str) else {},
        ctx.actor,
        stamp,
        stamp,
        bool(ctx.field("transient_environment", False)),
        bool(ctx.field("production_environment", environment == "production")),
    )
    repo.deployments[item.id] = item
    repo.deployment_statuses[item.id] = []
    return Response(201, record_bodies.deployment(ctx.base, repo, item))


@route("GET", "/repos/{owner}/{repo}/deployments")
def list_deployments(ctx: Ctx) -> Response:
    repo = ctx.repo
    query = ctx.request.query
    found = [
        item
        for item in repo.deployments.values()
        if all(query.get(name) in (None, getattr(item, name)) for name in ("sha", "ref", "task", "environment"))
    ]
    found.sort(key=lambda item: item.id, reverse=True)
    return paginate(ctx, [record_bodies.deployment(ctx.base, repo, item) for item in found])


@route("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}")
def get_deployment(ctx: Ctx) -> Response:
    repo = ctx.repo
    item = ctx.find(repo.deployments, "deployment_id")
    return Response(200, record_bodies.deployment(ctx.base, repo, item))


@route("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses")
def create_deployment_status(ctx: Ctx) -> Response:
    repo = ctx.repo
    deployment = ctx.find(repo.deployments, "deployment_id")
    state = ctx.require("state", "DeploymentStatus")
    if state not in DEPLOYMENT_STATES:
        raise invalid("DeploymentStatus", "state")
    environment = str(ctx.field("environment") or deployment.environment)

    def record(target: Deployment, state: str) -> DeploymentStatus:
        item = DeploymentStatus(
            ctx.state.next_id(),
            target.id,
            state,
            str(ctx.field("description") or "") if target is deployment else "",
            environment,
            str(ctx.field("target_url") or "") if target is deployment else "",
            str(ctx.field("log_url") or ctx.field("target_url") or "") if target is deployment else "",
            str(ctx.field("environment_url") or "") if target is deployment else "",
            ctx.actor,
            now(),
        )
        repo.deployment_statuses[target.id].append(item)
        target.updated_at = item.created_at
        return item

    created = record(deployment, str(state))
    # GitHub marks earlier successful deployments of the same environment inactive (auto_inactive defaults to true).
    if state == "success" and ctx.field("auto_inactive", True) and not deployment.transient_environment:
        for other in repo.deployments.values():
            history = repo.deployment_statuses[other.id]
            if (
                other is not deployment
                and other.environment == environment
                and history
                and history[-1].state == "success"
            ):
                record(other, "inactive")
    return Response(201, record_bodies.deployment_status(ctx.base, repo, created))


@route("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses")
def list_deployment_statuses(ctx: Ctx) -> Response:
    repo = ctx.repo
    deployment_id = ctx.number("deployment_id")
    if deployment_id not in repo.deployments:
        raise not_found()
    found = sorted(repo.deployment_statuses[deployment_id], key=lambda item: item.id, reverse=True)
    return paginate(ctx, [record_bodies.deployment_status(ctx.base, repo, item) for item in found])


def _workflow(ctx: Ctx, repo: Repo) -> tuple[str, int]:
    """(file name, id) of the workflow named in the path by id or file name; seeded runs register workflows."""
    key = ctx.params["workflow_id"]
    for name, number in repo.workflows.items():
        if key in (name, str(number)):
            return name, number
    raise not_found()


@route("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}")
def get_workflow(ctx: Ctx) -> Response:
    repo = ctx.repo
    name, number = _workflow(ctx, repo)
    url = f"{bodies.api(ctx.base, repo)}/actions/workflows/{number}"
    body = {
        "id": number,
        "node_id": bodies.node_id("W", number),
        "name": name.rsplit(".", 1)[0],
        "path": f".github/workflows/{name}",
        "state": "active",
        "created_at": repo.created_at,
        "updated_at": repo.created_at,
        "url": url,
        "html_url": f"{bodies.html(ctx.base, repo)}/actions/workflows/{name}",
        "badge_url": f"{bodies.html(ctx.base, repo)}/workflows/{name}/badge.svg",
    }
    return Response(200, body)


@route("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs")
def list_workflow_runs(ctx: Ctx) -> Response:
    repo = ctx.repo
    workflow_id = _workflow(ctx, repo)[1]
    query = ctx.request.query
    wanted_status = query.get("status")
    created = query.get("created", "")
    found = []
    for run in repo.workflow_runs:
        if run.workflow_id != workflow_id:
            continue
        if any(
            query.get(name) not in (None, value)
            for name, value in (("branch", run.head_branch), ("event", run.event), ("head_sha", run.head_sha))
        ):
            continue
        if wanted_status is not None and wanted_status not in (run.status, run.conclusion):
            continue
        if created.startswith(">=") and run.created_at < created[2:]:
            continue
        found.append(run)
    found.sort(key=lambda run: (run.created_at, run.id), reverse=True)
    return paginate(ctx, [record_bodies.workflow_run(ctx.base, repo, run) for run in found], wrap="workflow_runs")
