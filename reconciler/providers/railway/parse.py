"""Pure functions from Railway's JSON answers to our records (no I/O).

The environment config document is read for the multi-region replicas, volume backup schedules and variable names;
nothing else of it is kept (with decryption off it still may carry values we must not hold).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from reconciler.providers.railway.records import (
    Deployment,
    DeploymentEvent,
    HttpMetrics,
    RegionReplicas,
    ReplicaMetrics,
    RestartPolicy,
    Sample,
    ServiceInstance,
    StagedPatch,
    VolumeInstance,
)


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def nodes(connection: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not connection:
        return []
    return [edge["node"] for edge in connection.get("edges") or [] if edge and edge.get("node")]


def next_cursor(connection: Mapping[str, Any] | None) -> str | None:
    """The cursor of the next page, or None when this was the last one."""
    info = (connection or {}).get("pageInfo") or {}
    return info.get("endCursor") if info.get("hasNextPage") and info.get("endCursor") else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def deployment(raw: Mapping[str, Any] | None) -> Deployment | None:
    if not raw:
        return None
    raw_meta = raw.get("meta")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    manifest = meta.get("serviceManifest")
    manifest_source = (manifest.get("source") or {}) if isinstance(manifest, dict) else {}
    image = _str(meta.get("image")) or _str(manifest_source.get("image"))
    commit = _str(meta.get("commitHash")) or _str(meta.get("commitSha"))
    return Deployment(
        id=str(raw["id"]),
        status=str(raw.get("status") or "UNKNOWN"),
        created_at=timestamp(raw.get("createdAt")),
        status_updated_at=timestamp(raw.get("statusUpdatedAt")),
        can_rollback=bool(raw.get("canRollback")),
        can_redeploy=bool(raw.get("canRedeploy")),
        stopped=bool(raw.get("deploymentStopped")),
        image=image,
        commit=commit,
        service_id=_str(raw.get("serviceId")),
        environment_id=_str(raw.get("environmentId")),
    )


def _command(value: Any) -> tuple[str, ...]:
    """`preDeployCommand` is JSON: a string or a list of strings."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if v)
    return ()


def _service_config(config: Mapping[str, Any] | None, service_id: str) -> Mapping[str, Any]:
    services = (config or {}).get("services") or {}
    entry = services.get(service_id) if isinstance(services, dict) else None
    return entry if isinstance(entry, dict) else {}


def regions(config: Mapping[str, Any] | None, service_id: str) -> tuple[RegionReplicas, ...]:
    deploy = _service_config(config, service_id).get("deploy") or {}
    multi = deploy.get("multiRegionConfig") if isinstance(deploy, dict) else None
    if not isinstance(multi, dict):
        return ()
    out = [
        RegionReplicas(region, int(spec.get("numReplicas") or 0))
        for region, spec in multi.items()
        if isinstance(spec, dict)
    ]
    return tuple(sorted(out, key=lambda r: r.region))


def backup_schedules(config: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """volumeId -> backup schedule kinds, from every service's volume mounts."""
    out: dict[str, tuple[str, ...]] = {}
    services = (config or {}).get("services") or {}
    for entry in services.values() if isinstance(services, dict) else []:
        mounts = (entry or {}).get("volumeMounts") or {}
        for volume_id, mount in mounts.items() if isinstance(mounts, dict) else []:
            kinds = (mount or {}).get("backupSchedules") or []
            out[volume_id] = tuple(sorted(str(k) for k in kinds))
    return out


def volume(raw: Mapping[str, Any], schedules: Mapping[str, tuple[str, ...]]) -> VolumeInstance:
    vol = raw.get("volume") or {}
    volume_id = str(raw.get("volumeId") or vol.get("id") or "")
    return VolumeInstance(
        id=str(raw["id"]),
        volume_id=volume_id,
        volume_name=str(vol.get("name") or ""),
        service_id=_str(raw.get("serviceId")),
        mount_path=str(raw.get("mountPath") or ""),
        size_mb=int(raw.get("sizeMB") or 0),
        current_size_mb=float(raw.get("currentSizeMB") or 0.0),
        state=_str(raw.get("state")),
        region=_str(raw.get("region")),
        backup_schedules=schedules.get(volume_id, ()),
    )


def variable_names(config: Mapping[str, Any] | None) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """(serviceId -> variable names, shared variable names) from the config document: keys only, never values."""
    services = (config or {}).get("services") or {}
    per_service = {
        str(sid): frozenset(str(name) for name in ((entry or {}).get("variables") or {}))
        for sid, entry in (services.items() if isinstance(services, dict) else [])
        if isinstance(entry, dict)
    }
    shared = (config or {}).get("sharedVariables") or {}
    return per_service, frozenset(str(name) for name in shared) if isinstance(shared, dict) else frozenset()


def service_instance(
    raw: Mapping[str, Any],
    config: Mapping[str, Any] | None,
    names: frozenset[str],
    volumes: tuple[VolumeInstance, ...],
) -> ServiceInstance:
    service_id = str(raw["serviceId"])
    source = raw.get("source") or {}
    placed = regions(config, service_id)
    latest = deployment(raw.get("latestDeployment"))
    active = [d for d in (deployment(a) for a in raw.get("activeDeployments") or []) if d is not None]
    # The active list carries a short selection; when it is the latest deployment, use the full record.
    active = [latest if latest is not None and d.id == latest.id else d for d in active]
    healthy = [d for d in active if d.status == "SUCCESS"] or [d for d in active if d.state.value == "succeeded"]
    healthy.sort(key=lambda d: (d.created_at is not None, d.created_at), reverse=True)
    replicas = sum(r.replicas for r in placed) if placed else raw.get("numReplicas")
    return ServiceInstance(
        service_id=service_id,
        name=str(raw.get("serviceName") or service_id),
        instance_id=str(raw.get("id") or ""),
        image=_str(source.get("image")),
        repo=_str(source.get("repo")),
        replicas=int(replicas) if replicas is not None else None,
        regions=placed,
        region=_str(raw.get("region")),
        healthcheck_path=_str(raw.get("healthcheckPath")),
        healthcheck_timeout=raw.get("healthcheckTimeout"),
        pre_deploy_command=_command(raw.get("preDeployCommand")),
        start_command=_str(raw.get("startCommand")),
        restart_policy=RestartPolicy(
            str(raw.get("restartPolicyType") or "ON_FAILURE"), int(raw.get("restartPolicyMaxRetries") or 0)
        ),
        latest=latest,
        active=healthy[0] if healthy else None,
        variable_names=names,
        volumes=volumes,
    )


def events(raw_nodes: Iterable[Mapping[str, Any]]) -> tuple[DeploymentEvent, ...]:
    out = []
    for n in raw_nodes:
        payload = n.get("payload") or {}
        out.append(
            DeploymentEvent(
                step=str(n.get("step") or ""),
                created_at=timestamp(n.get("createdAt")),
                completed_at=timestamp(n.get("completedAt")),
                error=_str(payload.get("error")),
                detail=_str(payload.get("detail")) or _str(payload.get("reason")),
            )
        )
    return tuple(out)


def staged_patch(raw: Mapping[str, Any]) -> StagedPatch:
    patch = raw.get("patch") if isinstance(raw.get("patch"), dict) else {}
    services = patch.get("services") if isinstance(patch, dict) else None
    return StagedPatch(
        id=str(raw.get("id") or ""),
        status=str(raw.get("status") or ""),
        message=_str(raw.get("message")),
        service_ids=tuple(sorted(services)) if isinstance(services, dict) else (),
    )


def _samples(raw: Iterable[Mapping[str, Any]], key: str = "value") -> tuple[Sample, ...]:
    return tuple(Sample(int(s["ts"]), float(s[key])) for s in raw if s.get(key) is not None)


def replica_metrics(results: Iterable[Mapping[str, Any]]) -> tuple[ReplicaMetrics, ...]:
    """Group `metrics` results by deployment instance: one record per replica, CPU and memory side by side."""
    grouped: dict[tuple[str | None, str | None, str | None], dict[str, tuple[Sample, ...]]] = {}
    for result in results:
        tags = result.get("tags") or {}
        key = (_str(tags.get("deploymentInstanceId")), _str(tags.get("deploymentId")), _str(tags.get("region")))
        grouped.setdefault(key, {})[str(result.get("measurement"))] = _samples(result.get("values") or [])
    return tuple(
        ReplicaMetrics(
            deployment_instance_id=key[0],
            deployment_id=key[1],
            region=key[2],
            cpu=series.get("CPU_USAGE", ()),
            memory_gb=series.get("MEMORY_USAGE_GB", ()),
        )
        for key, series in sorted(grouped.items(), key=lambda kv: tuple(x or "" for x in kv[0]))
    )


def http_metrics(data: Mapping[str, Any]) -> HttpMetrics:
    counts: dict[int, int] = {}
    for group in data.get("httpMetricsGroupedByStatus") or []:
        total = sum(s.value for s in _samples(group.get("samples") or []))
        counts[int(group["statusCode"])] = counts.get(int(group["statusCode"]), 0) + int(round(total))
    durations = (data.get("httpDurationMetrics") or {}).get("samples") or []
    return HttpMetrics(
        counts_by_status=tuple(sorted(counts.items())),
        p50_samples=_samples(durations, "p50"),
        p95_samples=_samples(durations, "p95"),
        p99_samples=_samples(durations, "p99"),
    )
