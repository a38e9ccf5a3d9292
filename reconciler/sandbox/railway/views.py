"""GraphQL objects as plain dicts built from the emulator's state.

A view holds the scalar fields it knows and callables for fields that take arguments or reach further (called
with the field's arguments). A field a view lacks is one the emulator does not implement: the executor reports it
as an error instead of answering null.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from reconciler.sandbox.railway import config as cfg
from reconciler.sandbox.railway.emulator import Emulator
from reconciler.sandbox.railway.model import (
    IN_PROGRESS_STATUSES,
    Deployment,
    Environment,
    Event,
    PatchRecord,
    Project,
    Service,
    VolumeInstance,
    iso,
)

View = dict[str, Any]
WORKSPACE_ID = "workspace-sandbox"


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _index(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError) as error:
        raise ValueError(f"Invalid cursor: {cursor}") from error


def connection(
    items: Sequence[Any],
    view: Callable[[Any], View],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    **_: Any,
) -> View:
    """A Relay connection page over `items` (edges with cursors, pageInfo)."""
    start = _index(after) + 1 if after else 0
    end = _index(before) if before else len(items)
    window = list(range(start, min(end, len(items))))
    has_next = has_previous = False
    if first is not None and len(window) > first:
        window, has_next = window[:first], True
    if last is not None and len(window) > last:
        window, has_previous = window[-last:], True
    has_previous = has_previous or start > 0
    edges = [{"cursor": _cursor(i), "node": view(items[i])} for i in window]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": has_next or (bool(window) and window[-1] < len(items) - 1 and before is None),
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def project_view(em: Emulator, project: Project) -> View:
    def environments(**page: Any) -> View:
        chosen = [e for e in em.environments.values() if e.project_id == project.id]
        if page.get("isEphemeral"):
            chosen = []
        return connection(chosen, lambda e: environment_view(em, e), **page)

    def services(**page: Any) -> View:
        chosen = sorted((s for s in em.services.values() if s.project_id == project.id), key=lambda s: s.name)
        return connection(chosen, lambda s: service_view(em, s), **page)

    first_environment = next((e for e in em.environments.values() if e.project_id == project.id), None)
    return {
        "id": project.id,
        "name": project.name,
        "description": None,
        "createdAt": iso(project.created_at),
        "updatedAt": iso(project.created_at),
        "deletedAt": None,
        "expiredAt": None,
        "isPublic": False,
        "isTempProject": False,
        "prDeploys": False,
        "botPrEnvironments": False,
        "focusedPrEnvironments": False,
        "workspaceId": WORKSPACE_ID,
        "baseEnvironmentId": None,
        "baseEnvironment": None,
        "primaryEnvironmentId": first_environment.id if first_environment else None,
        "environments": environments,
        "services": services,
        "volumes": lambda **page: connection(_project_volumes(em, project), lambda v: v, **page),
    }


def _project_volumes(em: Emulator, project: Project) -> list[View]:
    seen: dict[str, View] = {}
    for instance in em.volume_instances.values():
        if instance.project_id == project.id and instance.volume_id not in seen:
            seen[instance.volume_id] = volume_view(em, instance)
    return list(seen.values())


def service_view(em: Emulator, service: Service) -> View:
    return {
        "id": service.id,
        "name": service.name,
        "projectId": service.project_id,
        "createdAt": iso(service.created_at),
        "updatedAt": iso(service.created_at),
        "deletedAt": None,
        "icon": None,
        "groupId": None,
        "templateId": None,
        "templateServiceId": None,
        "templateThreadSlug": None,
        "isRestricted": False,
        "hasHiddenRegistryCredentialsFromTemplate": False,
        "featureFlags": [],
        "project": lambda: project_view(em, em.projects[service.project_id]),
    }


def environment_view(em: Emulator, environment: Environment) -> View:
    def config(decryptVariables: bool | None = None) -> Any:  # noqa: N803 - the GraphQL argument's name
        return cfg.redact_variables(environment.config, bool(decryptVariables))

    def variables(**page: Any) -> View:
        rows: list[tuple[str | None, str]] = [
            (None, name) for name in sorted(environment.config.get("sharedVariables") or {})
        ]
        for service_id in em.instance_ids(environment.id):
            names = sorted(environment.config["services"][service_id].get("variables") or {})
            rows += [(service_id, name) for name in names]
        return connection(rows, lambda row: variable_view(em, environment, *row), **page)

    instances = em.instance_ids(environment.id)
    return {
        "id": environment.id,
        "name": environment.name,
        "projectId": environment.project_id,
        "createdAt": iso(environment.created_at),
        "updatedAt": iso(environment.updated_at),
        "deletedAt": None,
        "isEphemeral": False,
        "canAccess": True,
        "unmergedChangesCount": 1 if environment.staged else 0,
        "meta": None,
        "sourceEnvironment": None,
        "canvasGroupRefs": {},
        "config": config,
        "configEtag": cfg.etag(environment.config, environment.commits),
        "serviceInstances": lambda **page: connection(
            instances, lambda sid: instance_view(em, environment.id, sid), **page
        ),
        "deployments": lambda **page: connection(
            em.deployments_of(environment.id), lambda d: deployment_view(em, d), **page
        ),
        "volumeInstances": lambda **page: connection(
            [v for v in em.volume_instances.values() if v.environment_id == environment.id],
            lambda v: volume_instance_view(em, v),
            **page,
        ),
        "variables": variables,
    }


def variable_view(em: Emulator, environment: Environment, service_id: str | None, name: str) -> View:
    table = (
        environment.config.get("sharedVariables")
        if service_id is None
        else environment.config["services"][service_id].get("variables")
    ) or {}
    spec = table.get(name) or {}
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{environment.id}/{service_id}/{name}")),
        "name": name,
        "isSealed": bool(spec.get("isSealed")),
        "environmentId": environment.id,
        "serviceId": service_id,
        "references": [],
        "createdAt": iso(environment.created_at),
        "updatedAt": iso(environment.updated_at),
        "environment": lambda: environment_view(em, environment),
    }


def instance_view(em: Emulator, environment_id: str, service_id: str) -> View:
    environment = em.environments[environment_id]
    service = em.services[service_id]
    fields = cfg.instance_fields(em.service_config(environment_id, service_id))
    active = em.active_deployments(environment_id, service_id)
    from reconciler.sandbox.railway.runtime import edge_port

    port = edge_port(em, environment_id, service_id)
    domains = [] if port is None else [domain_view(environment, service, port)]
    return {
        **fields,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{environment_id}/{service_id}")),
        "serviceId": service_id,
        "serviceName": service.name,
        "environmentId": environment_id,
        "createdAt": iso(service.created_at),
        "updatedAt": iso(environment.updated_at),
        "deletedAt": None,
        "isUpdatable": False,
        "nextCronRunAt": None,
        "edgeConfig": None,
        "railpackInfo": None,
        "service": lambda: service_view(em, service),
        "latestDeployment": lambda: _maybe(em, em.latest_deployment(environment_id, service_id)),
        "activeDeployments": lambda: [deployment_view(em, d) for d in active],
        "domains": {"serviceDomains": domains, "customDomains": []},
    }


def domain_view(environment: Environment, service: Service, port: int) -> View:
    """The emulator's stand-in for a service domain: the instance's stable loopback address (plain HTTP)."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"domain/{environment.id}/{service.id}")),
        "domain": f"127.0.0.1:{port}",
        "environmentId": environment.id,
        "serviceId": service.id,
        "projectId": environment.project_id,
        "targetPort": port,
        "suffix": None,
        "edgeId": None,
        "newDomainName": None,
        "newHostLabel": None,
        "cdnMode": None,
        "syncStatus": "ACTIVE",
        "createdAt": iso(environment.created_at),
        "updatedAt": iso(environment.updated_at),
        "deletedAt": None,
    }


def _maybe(em: Emulator, deployment: Deployment | None) -> View | None:
    return None if deployment is None else deployment_view(em, deployment)


def deployment_view(em: Emulator, deployment: Deployment) -> View:
    status = deployment.status
    if status in ("SUCCESS", "SLEEPING"):
        instance_status = "RUNNING"
    elif status in IN_PROGRESS_STATUSES:
        instance_status = "INITIALIZING"
    else:
        instance_status = {"CRASHED": "CRASHED", "REMOVING": "REMOVING"}.get(status, "REMOVED")
    url = f"http://127.0.0.1:{deployment.port}" if deployment.port and status == "SUCCESS" else None
    return {
        "id": deployment.id,
        "status": status,
        "createdAt": iso(deployment.created_at),
        "updatedAt": iso(deployment.updated_at),
        "statusUpdatedAt": iso(deployment.status_updated_at),
        "canRedeploy": status not in IN_PROGRESS_STATUSES,
        "canRollback": em.can_rollback(deployment),
        "deploymentStopped": status not in IN_PROGRESS_STATUSES and status not in ("SUCCESS", "SLEEPING"),
        "instances": [
            {"id": f"{deployment.id}-{index}", "status": instance_status} for index in range(deployment.replicas)
        ],
        "meta": {
            "image": deployment.image,
            "repo": deployment.repo,
            "commitHash": deployment.commit,
            "reason": deployment.reason,
            "serviceManifest": deployment.manifest,
        },
        "creator": None,
        "diagnosis": None,
        "snapshotId": None,
        "url": url,
        "staticUrl": url and url.removeprefix("http://"),
        "sockets": [],
        "suggestAddServiceDomain": False,
        "environmentId": deployment.environment_id,
        "serviceId": deployment.service_id,
        "projectId": deployment.project_id,
        "environment": lambda: environment_view(em, em.environments[deployment.environment_id]),
        "service": lambda: service_view(em, em.services[deployment.service_id]),
    }


def event_view(event: Event) -> View:
    payload = event.payload or {}
    keys = ("attempt", "detail", "durationMs", "error", "maxAttempts", "reason", "skipped")
    return {
        "id": event.id,
        "step": event.step,
        "createdAt": iso(event.created_at),
        "completedAt": iso(event.completed_at) if event.completed_at else None,
        "payload": {key: payload.get(key) for key in keys},
    }


def patch_view(em: Emulator, record: PatchRecord) -> View:
    def patch(decryptVariables: bool | None = None) -> Any:  # noqa: N803 - the GraphQL argument's name
        return cfg.redact_variables(record.patch, bool(decryptVariables))

    return {
        "id": record.id,
        "status": record.status,
        "message": record.message,
        "environmentId": record.environment_id,
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.applied_at or record.created_at),
        "appliedAt": iso(record.applied_at) if record.applied_at else None,
        "appliedBy": None,
        "lastAppliedError": None,
        "patch": patch,
        "environment": lambda: environment_view(em, em.environments[record.environment_id]),
    }


def volume_view(em: Emulator, instance: VolumeInstance) -> View:
    return {
        "id": instance.volume_id,
        "name": instance.volume_name,
        "projectId": instance.project_id,
        "createdAt": iso(instance.created_at),
        "project": lambda: project_view(em, em.projects[instance.project_id]),
    }


def volume_instance_view(em: Emulator, instance: VolumeInstance) -> View:
    mounts = (em.service_config(instance.environment_id, instance.service_id).get("volumeMounts") or {}) if (
        instance.service_id
    ) else {}  # fmt: skip
    mount = mounts.get(instance.volume_id) or {}
    return {
        "id": instance.id,
        "volumeId": instance.volume_id,
        "environmentId": instance.environment_id,
        "serviceId": instance.service_id,
        "mountPath": mount.get("mountPath", ""),
        "sizeMB": instance.size_mb,
        "currentSizeMB": instance.current_size_mb,
        "region": instance.region,
        "state": "READY",
        "externalId": None,
        "isPendingDeletion": False,
        "createdAt": iso(instance.created_at),
        "deletedAt": None,
        "volume": volume_view(em, instance),
        "environment": lambda: environment_view(em, em.environments[instance.environment_id]),
        "service": lambda: service_view(em, em.services[instance.service_id or ""]),
    }
