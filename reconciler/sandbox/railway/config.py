"""The environment config document: patch merging, what a change means, and the fields a service instance shows.

Pure functions over Railway's `EnvironmentConfig` JSON (camelCase, `services.<serviceId>.{source,deploy,build,
variables,volumeMounts}`). A patch merges key by key; `null` deletes the key; lists replace whole.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from typing import Any

DEFAULT_REGION = "us-west2"
# The deploy keys that only move replicas: a change limited to them scales without a build.
SCALE_KEYS = frozenset({"numReplicas", "multiRegionConfig"})
# Keys whose change does not start a deployment at all (volume backup schedules are not part of a deploy).
NO_DEPLOY_SERVICE_KEYS = frozenset({"volumeMounts", "networking", "isCreated"})


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`base` with `patch` applied: nested objects merge, `None` deletes, anything else replaces. Inputs untouched."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        elif isinstance(value, dict):
            merged[key] = merge({}, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def etag(config: dict[str, Any], commits: int) -> str:
    """An opaque token that changes with every commit (even one that changes nothing) and with the content."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    return f"{commits}-{digest}"


def change_kind(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """What a service's config change asks for: "none", "remove", "scale" (replicas only), "config" or "deploy"."""
    if before == after:
        return "none"
    if after is None:
        return "remove"
    before = before or {}
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    if changed <= NO_DEPLOY_SERVICE_KEYS:
        return "config"
    if changed == {"deploy"}:
        old_deploy, new_deploy = before.get("deploy") or {}, after.get("deploy") or {}
        moved = {key for key in set(old_deploy) | set(new_deploy) if old_deploy.get(key) != new_deploy.get(key)}
        if moved <= SCALE_KEYS:
            return "scale"
    return "deploy"


def regions(service: dict[str, Any]) -> dict[str, int]:
    """Replicas per region: from `multiRegionConfig` when set, else `numReplicas` (default 1) in the default region."""
    deploy = service.get("deploy") or {}
    spread = deploy.get("multiRegionConfig")
    if isinstance(spread, dict) and spread:
        counts = {
            region: int((spec or {}).get("numReplicas", 0) or 0) for region, spec in spread.items() if spec is not None
        }
        return {region: count for region, count in counts.items() if count > 0}
    count = deploy.get("numReplicas")
    return {str(deploy.get("region") or DEFAULT_REGION): 1 if count is None else int(count)}


def replica_count(service: dict[str, Any]) -> int:
    return sum(regions(service).values())


def instance_fields(service: dict[str, Any]) -> dict[str, Any]:
    """The `ServiceInstance` scalar fields that a service's config determines."""
    source = service.get("source") or {}
    deploy = service.get("deploy") or {}
    build = service.get("build") or {}
    spread = regions(service)
    return {
        "source": {"image": source.get("image"), "repo": source.get("repo")} if source else None,
        "numReplicas": sum(spread.values()),
        "region": next(iter(spread), None) or deploy.get("region") or DEFAULT_REGION,
        "healthcheckPath": deploy.get("healthcheckPath"),
        "healthcheckTimeout": deploy.get("healthcheckTimeout"),
        "preDeployCommand": deploy.get("preDeployCommand"),
        "startCommand": deploy.get("startCommand"),
        "restartPolicyType": deploy.get("restartPolicyType") or "ON_FAILURE",
        "restartPolicyMaxRetries": int(deploy.get("restartPolicyMaxRetries", 10)),
        "sleepApplication": deploy.get("sleepApplication"),
        "cronSchedule": deploy.get("cronSchedule"),
        "overlapSeconds": deploy.get("overlapSeconds"),
        "drainingSeconds": deploy.get("drainingSeconds"),
        "ipv6EgressEnabled": deploy.get("ipv6EgressEnabled"),
        "buildCommand": build.get("buildCommand"),
        "builder": build.get("builder") or "RAILPACK",
        "dockerfilePath": build.get("dockerfilePath"),
        "watchPatterns": list(build.get("watchPatterns") or []),
        "rootDirectory": source.get("rootDirectory"),
        "railwayConfigFile": service.get("configFile"),
        "nixpacksPlan": build.get("nixpacksPlan"),
        "upstreamUrl": source.get("upstreamUrl"),
    }


def manifest(service: dict[str, Any]) -> dict[str, Any]:
    """What a deployment records as `meta.serviceManifest`: the source, deploy and build sections it used."""
    return {key: copy.deepcopy(service.get(key) or {}) for key in ("source", "deploy", "build")}


_REFERENCE = re.compile(r"\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


def render_variables(config: dict[str, Any], service_id: str | None, *, sealed: bool = False) -> dict[str, str]:
    """Variable values with `${{shared.X}}` and `${{Service.X}}` references resolved.

    Sealed values are included only for deployments (`sealed=True`): the API never returns them.
    """
    shared = _values(config.get("sharedVariables") or {}, sealed)
    if service_id is None:
        return shared
    services = config.get("services") or {}
    own = _values((services.get(service_id) or {}).get("variables") or {}, sealed)
    by_name = {str(svc.get("name", sid)): _values(svc.get("variables") or {}, sealed) for sid, svc in services.items()}

    def resolve(match: re.Match[str]) -> str:
        scope, _, name = match.group(1).rpartition(".")
        table = shared if scope == "shared" else by_name.get(scope, own) if scope else own
        return table.get(name, match.group(0))

    return {name: _REFERENCE.sub(resolve, value) for name, value in own.items()}


def _values(variables: dict[str, Any], sealed: bool) -> dict[str, str]:
    result = {}
    for name, spec in variables.items():
        if isinstance(spec, dict) and (sealed or not spec.get("isSealed")) and spec.get("value") is not None:
            result[name] = str(spec["value"])
    return result


def redact_variables(config: dict[str, Any], decrypt: bool) -> dict[str, Any]:
    """The config as the API shows it: sealed values never; other values only with `decryptVariables: true`."""
    shown = copy.deepcopy(config)
    tables = [shown.get("sharedVariables") or {}]
    tables += [(svc or {}).get("variables") or {} for svc in (shown.get("services") or {}).values()]
    for table in tables:
        for spec in table.values():
            if isinstance(spec, dict) and (spec.get("isSealed") or not decrypt):
                spec.pop("value", None)
    return shown
