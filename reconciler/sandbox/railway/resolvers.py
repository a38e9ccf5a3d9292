"""Root resolvers: the Query and Mutation fields the emulator implements, as `(emulator, auth, **args)` functions.

Every other root field answers "not implemented by the emulator: Type.field" (see `execute.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.railway import metrics
from reconciler.sandbox.railway import views as v
from reconciler.sandbox.railway.emulator import ApiError, Emulator
from reconciler.sandbox.railway.model import iso, new_id
from reconciler.sandbox.railway.seed import SCHEDULE_RETENTION

COMMIT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
SCHEDULE_CRON = {"DAILY": "0 3 * * *", "WEEKLY": "0 3 * * 0", "MONTHLY": "0 3 1 * *"}
# serviceInstanceUpdate input fields and where they live in the config document.
UPDATE_PATHS = {
    "buildCommand": "build", "builder": "build", "dockerfilePath": "build", "watchPatterns": "build",
    "nixpacksPlan": "build", "rootDirectory": "source", "railwayConfigFile": None,
}  # fmt: skip


@dataclass(frozen=True)
class Auth:
    """Who is calling: the kind of token (never its value, beyond the project-token lookup key)."""

    kind: str  # "bearer" | "project"
    project_token: str | None = field(default=None, repr=False)


Resolver = Callable[..., Any]
QUERY: dict[str, Resolver] = {}
MUTATION: dict[str, Resolver] = {}


def query(fn: Resolver) -> Resolver:
    QUERY[fn.__name__.removeprefix("q_")] = fn
    return fn


def mutation(fn: Resolver) -> Resolver:
    MUTATION[fn.__name__.removeprefix("m_")] = fn
    return fn


# ---- queries -------------------------------------------------------------------------------------------------
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
    from reconciler.sandbox.railway.model import PatchRecord

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
    from reconciler.sandbox.railway import config as cfg

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


# ---- mutations -----------------------------------------------------------------------------------------------
@mutation
def m_environmentPatchCommit(em: Emulator, auth: Auth, environmentId: str, patch: Any = None,  # noqa: N802,N803
                             commitMessage: str | None = None) -> str:  # noqa: N803  # fmt: skip
    return em.commit_patch(environmentId, patch, commitMessage)


@mutation
def m_environmentStageChanges(em: Emulator, auth: Auth, environmentId: str, input: Any,  # noqa: N802,N803
                              merge: bool | None = None) -> v.View:  # fmt: skip
    return v.patch_view(em, em.stage(environmentId, input, merge))


@mutation
def m_environmentPatchCommitStaged(em: Emulator, auth: Auth, environmentId: str,  # noqa: N802,N803
                                   commitMessage: str | None = None, skipDeploys: bool | None = None) -> str:  # noqa: N803  # fmt: skip
    return em.commit_staged(environmentId, commitMessage, bool(skipDeploys))


def _deploy_instance(em: Emulator, environment_id: str, service_id: str, commit_sha: str | None) -> str:
    config = em.service_config(environment_id, service_id)
    if commit_sha is not None and (not (config.get("source") or {}).get("repo") or not COMMIT_SHA.match(commit_sha)):
        raise ApiError("Commit not found")
    return em.deploy(environment_id, service_id, reason="deploy", commit=commit_sha).id


@mutation
def m_serviceInstanceDeployV2(em: Emulator, auth: Auth, serviceId: str, environmentId: str,  # noqa: N802,N803
                              commitSha: str | None = None) -> str:  # noqa: N803  # fmt: skip
    return _deploy_instance(em, environmentId, serviceId, commitSha)


@mutation
def m_serviceInstanceDeploy(em: Emulator, auth: Auth, serviceId: str, environmentId: str,  # noqa: N802,N803
                            commitSha: str | None = None, latestCommit: bool | None = None) -> bool:  # noqa: N803  # fmt: skip
    _deploy_instance(em, environmentId, serviceId, commitSha)
    return True


@mutation
def m_serviceInstanceRedeploy(em: Emulator, auth: Auth, environmentId: str, serviceId: str) -> bool:  # noqa: N802,N803
    # As on Railway: this re-runs the image of the latest deployment, not the image now in the config.
    latest = em.latest_deployment(environmentId, serviceId)
    if latest is None:
        raise ApiError("No deployment to redeploy")
    em.redeploy(latest.id)
    return True


@mutation
def m_serviceInstanceUpdate(em: Emulator, auth: Auth, serviceId: str, input: dict[str, Any],  # noqa: N802,N803
                            environmentId: str | None = None) -> bool:  # noqa: N803  # fmt: skip
    patch: dict[str, Any] = {}
    for key, value in input.items():
        if key == "source":
            patch["source"] = value
        elif key == "region":
            patch.setdefault("deploy", {})["multiRegionConfig"] = {value: {"numReplicas": 1}}
        elif key in UPDATE_PATHS:
            section = UPDATE_PATHS[key]
            if section is None:
                patch["configFile"] = value
            else:
                patch.setdefault(section, {})[key] = value
        else:
            patch.setdefault("deploy", {})[key] = value
    targets = [environmentId] if environmentId else [e.id for e in em.environments.values()]
    for target in targets:
        if serviceId in (em.environment(target).config.get("services") or {}):
            em.commit_patch(target, {"services": {serviceId: patch}}, "serviceInstanceUpdate", skip_deploys=True)
    return True


@mutation
def m_deploymentRollback(em: Emulator, auth: Auth, id: str) -> bool:  # noqa: N802
    em.rollback(id)
    return True


@mutation
def m_deploymentRedeploy(em: Emulator, auth: Auth, id: str, usePreviousImageTag: bool | None = None) -> v.View:  # noqa: N802,N803
    return v.deployment_view(em, em.redeploy(id))


@mutation
def m_deploymentRestart(em: Emulator, auth: Auth, id: str) -> bool:  # noqa: N802
    em.restart(id)
    return True


@mutation
def m_deploymentCancel(em: Emulator, auth: Auth, id: str) -> bool:  # noqa: N802
    from reconciler.sandbox.railway.model import IN_PROGRESS_STATUSES

    deployment = em.deployment(id)
    if deployment.status not in IN_PROGRESS_STATUSES:
        raise ApiError("Deployment cannot be cancelled")
    em.set_status(deployment, "REMOVED")
    return True


@mutation
def m_deploymentStop(em: Emulator, auth: Auth, id: str) -> bool:  # noqa: N802
    em.set_status(em.deployment(id), "REMOVED")
    return True


@mutation
def m_variableCollectionUpsert(em: Emulator, auth: Auth, input: dict[str, Any]) -> bool:  # noqa: N802
    _check_scope(em, input)
    values = input["variables"]
    if not isinstance(values, dict):
        raise ApiError("variables must be an object of names to values")
    em.upsert_variables(input["environmentId"], input.get("serviceId"), values,
                        replace=bool(input.get("replace")), skip=bool(input.get("skipDeploys")))  # fmt: skip
    return True


@mutation
def m_variableUpsert(em: Emulator, auth: Auth, input: dict[str, Any]) -> bool:  # noqa: N802
    _check_scope(em, input)
    em.upsert_variables(input["environmentId"], input.get("serviceId"), {input["name"]: input["value"]},
                        replace=False, skip=bool(input.get("skipDeploys")))  # fmt: skip
    return True


@mutation
def m_variableDelete(em: Emulator, auth: Auth, input: dict[str, Any]) -> bool:  # noqa: N802
    _check_scope(em, input)
    service_id = input.get("serviceId")
    deletion = {input["name"]: None}
    patch = {"sharedVariables": deletion} if service_id is None else {"services": {service_id: {"variables": deletion}}}
    em.commit_patch(input["environmentId"], patch)
    return True


def _check_scope(em: Emulator, input: dict[str, Any]) -> None:
    if em.environment(input["environmentId"]).project_id != input["projectId"]:
        raise ApiError("Environment not found")
    if input.get("serviceId") is not None:
        em.service_config(input["environmentId"], input["serviceId"])


@mutation
def m_volumeInstanceBackupScheduleUpdate(em: Emulator, auth: Auth, volumeInstanceId: str,  # noqa: N802,N803
                                         kinds: list[str]) -> bool:  # fmt: skip
    instance = em.volume_instances.get(volumeInstanceId)
    if instance is None or instance.service_id is None:
        raise ApiError("Volume instance not found")
    mount = {"volumeMounts": {instance.volume_id: {"backupSchedules": list(kinds)}}}
    em.commit_patch(instance.environment_id, {"services": {instance.service_id: mount}}, "backup schedules")
    return True
