"""Root Mutation resolvers: patches, deploys, rollback, redeploy, restart, variables and backup schedules."""

from __future__ import annotations

import re
from typing import Any

from reconciler.sandbox.railway import views as v
from reconciler.sandbox.railway.emulator import ApiError, Emulator
from reconciler.sandbox.railway.model import IN_PROGRESS_STATUSES
from reconciler.sandbox.railway.resolvers import Auth, mutation

COMMIT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
# serviceInstanceUpdate input fields and where they live in the config document.
UPDATE_PATHS = {
    "buildCommand": "build", "builder": "build", "dockerfilePath": "build", "watchPatterns": "build",
    "nixpacksPlan": "build", "rootDirectory": "source", "railwayConfigFile": None,
}  # fmt: skip


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
