"""Root Query resolvers: reading projects, environments, deployments, events, variables, volumes and metrics."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.railway import config as cfg
from reconciler.sandbox.railway import metrics
from reconciler.sandbox.railway import views as v
from reconciler.sandbox.railway.emulator import ApiError, Emulator
from reconciler.sandbox.railway.model import PatchRecord, iso, new_id
from reconciler.sandbox.railway.resolvers import Auth, query
from reconciler.sandbox.railway.seed import SCHEDULE_RETENTION

SCHEDULE_CRON = {"DAILY": "0 3 * * *", "WEEKLY": "0 3 * * 0", "MONTHLY": "0 3 1 * *"}


@query
def q_me(em: Emulator, auth: Auth) -> v.View:
    if auth.kind != "bearer":
        raise ApiError("Not Authorized")
    return {"id": "user-sandbox", "name": "Sandbox", "email": "sandbox@example.com", "username": "sandbox",
            "workspaces": [_workspace(em)]}  # fmt: skip


def _workspace(em: Emulator) -> v.View:
    projects = list(em.projects.values())
    return {
        "id": v.WORKSPACE_ID,
        "name": "sandbox",
        "projects": lambda **page: v.connection(projects, lambda p: v.project_view(em, p), **page),
    }


@query
def q_projects(em: Emulator, auth: Auth, **page: Any) -> v.View:
    # A project token names its own project (`projectToken`); listing projects needs an account/workspace token.
    if auth.kind != "bearer":
        raise ApiError("Not Authorized")
    return v.connection(list(em.projects.values()), lambda p: v.project_view(em, p), **page)


@query
def q_project(em: Emulator, auth: Auth, id: str) -> v.View:
    return v.project_view(em, em.project(id))


@query
def q_projectToken(em: Emulator, auth: Auth) -> v.View:  # noqa: N802 - GraphQL field name
    if auth.kind != "project":
        raise ApiError("Project Token not found")
    scope = em.tokens.get(auth.project_token or "")
    if scope is None:
        environment = next(iter(em.environments.values()), None)
        if environment is None:
            raise ApiError("Project Token not found")
        scope = (environment.project_id, environment.id)
    project, environment = em.project(scope[0]), em.environment(scope[1])
    return {
        "id": "project-token-sandbox",
        "name": "sandbox",
        "displayToken": "****",
        "projectId": project.id,
        "environmentId": environment.id,
        "createdAt": iso(project.created_at),
        "project": v.project_view(em, project),
        "environment": v.environment_view(em, environment),
    }


@query
def q_environments(em: Emulator, auth: Auth, projectId: str, **page: Any) -> v.View:  # noqa: N803
    em.project(projectId)
    chosen = [] if page.get("isEphemeral") else [e for e in em.environments.values() if e.project_id == projectId]
    return v.connection(chosen, lambda e: v.environment_view(em, e), **page)


@query
def q_environment(em: Emulator, auth: Auth, id: str, projectId: str | None = None) -> v.View:  # noqa: N803
    environment = em.environment(id)
    if projectId is not None and environment.project_id != projectId:
        raise ApiError("Environment not found")
    return v.environment_view(em, environment)


@query
def q_service(em: Emulator, auth: Auth, id: str) -> v.View:
    return v.service_view(em, em.service(id))


@query
def q_serviceInstance(em: Emulator, auth: Auth, environmentId: str, serviceId: str) -> v.View:  # noqa: N802,N803
    em.service_config(environmentId, serviceId)
    return v.instance_view(em, environmentId, serviceId)


@query
def q_deployment(em: Emulator, auth: Auth, id: str) -> v.View:
    return v.deployment_view(em, em.deployment(id))


@query
def q_deployments(em: Emulator, auth: Auth, input: dict[str, Any], **page: Any) -> v.View:
    chosen = em.deployments_of(input.get("environmentId"), input.get("serviceId"))
    if input.get("projectId"):
        chosen = [d for d in chosen if d.project_id == input["projectId"]]
    status = input.get("status") or {}
    if status.get("in") is not None:
        chosen = [d for d in chosen if d.status in status["in"]]
    if status.get("notIn") is not None:
        chosen = [d for d in chosen if d.status not in status["notIn"]]
    return v.connection(chosen, lambda d: v.deployment_view(em, d), **page)


@query
def q_deploymentEvents(em: Emulator, auth: Auth, id: str, **page: Any) -> v.View:  # noqa: N802
    return v.connection(list(em.deployment(id).events), v.event_view, **page)


@query
def q_environmentStagedChanges(em: Emulator, auth: Auth, environmentId: str) -> v.View:  # noqa: N802,N803

    environment = em.environment(environmentId)
    staged = environment.staged or PatchRecord(new_id("patch"), environment.id, {}, "STAGED", None, em.clock())
    return v.patch_view(em, staged)


@query
def q_environmentPatches(em: Emulator, auth: Auth, environmentId: str, **page: Any) -> v.View:  # noqa: N802,N803
    history = list(reversed(em.environment(environmentId).history))
    return v.connection(history, lambda record: v.patch_view(em, record), **page)


@query
def q_variables(
    em: Emulator,
    auth: Auth,
    projectId: str,  # noqa: N803
    environmentId: str,  # noqa: N803
    serviceId: str | None = None,  # noqa: N803
    unrendered: bool | None = None,
) -> dict[str, str]:

    environment = em.environment(environmentId)
    if environment.project_id != projectId:
        raise ApiError("Environment not found")
    if serviceId is not None:
        em.service_config(environmentId, serviceId)
    if unrendered:
        # Raw values: references such as ${{shared.X}} stay as written.
        config = environment.config
        table = config.get("sharedVariables") if serviceId is None else config["services"][serviceId].get("variables")
        return {
            name: str(spec["value"])
            for name, spec in (table or {}).items()
            if isinstance(spec, dict) and not spec.get("isSealed") and spec.get("value") is not None
        }
    return cfg.render_variables(environment.config, serviceId)


@query
def q_volumeInstance(em: Emulator, auth: Auth, id: str) -> v.View:  # noqa: N802
    if id not in em.volume_instances:
        raise ApiError("Volume instance not found")
    return v.volume_instance_view(em, em.volume_instances[id])


@query
def q_volumeInstanceBackupScheduleList(em: Emulator, auth: Auth, volumeInstanceId: str) -> list[v.View]:  # noqa: N802,N803
    instance = em.volume_instances.get(volumeInstanceId)
    if instance is None or instance.service_id is None:
        raise ApiError("Volume instance not found")
    mounts = em.service_config(instance.environment_id, instance.service_id).get("volumeMounts") or {}
    kinds = (mounts.get(instance.volume_id) or {}).get("backupSchedules") or []
    return [
        {
            "id": f"{instance.id}-{kind.lower()}",
            "kind": kind,
            "name": kind.title(),
            "cron": SCHEDULE_CRON[kind],
            "retentionSeconds": SCHEDULE_RETENTION[kind],
            "createdAt": iso(instance.created_at),
        }  # fmt: skip
        for kind in kinds
    ]


@query
def q_metrics(em: Emulator, auth: Auth, **args: Any) -> list[v.View]:
    return metrics.resource_metrics(em, args)


@query
def q_httpMetrics(em: Emulator, auth: Auth, **args: Any) -> v.View:  # noqa: N802
    return metrics.http_counts(em, args)


@query
def q_httpMetricsGroupedByStatus(em: Emulator, auth: Auth, **args: Any) -> list[v.View]:  # noqa: N802
    return metrics.http_by_status(em, args)


@query
def q_httpDurationMetrics(em: Emulator, auth: Auth, **args: Any) -> v.View:  # noqa: N802
    return metrics.http_durations(em, args)
