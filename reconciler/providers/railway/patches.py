"""Build one `EnvironmentConfig` patch for one environment from typed service changes (pure).

Railway merges a patch into the environment's config document; `null` deletes an entry. Replicas are always written
as a `multiRegionConfig` with explicit region keys (count-only specs have drifted to a default region).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.providers.railway.records import ServiceChange


def service_patch(change: ServiceChange) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if change.image is not None:
        entry["source"] = {"image": change.image}
    deploy: dict[str, Any] = {}
    if change.regions is not None or change.removed_regions:
        multi: dict[str, Any] = {region: None for region in change.removed_regions}
        for placed in change.regions or ():
            if placed.replicas < 0:
                raise ValueError(f"replicas for {placed.region} must be >= 0, got {placed.replicas}")
            multi[placed.region] = {"numReplicas": placed.replicas}
        deploy["multiRegionConfig"] = multi
    if change.healthcheck_path is not None:
        deploy["healthcheckPath"] = change.healthcheck_path
    if change.healthcheck_timeout is not None:
        deploy["healthcheckTimeout"] = change.healthcheck_timeout
    if change.pre_deploy_command is not None:
        # The input type is [String!]; an empty list clears the command.
        deploy["preDeployCommand"] = list(change.pre_deploy_command)
    if deploy:
        entry["deploy"] = deploy
    return entry


def environment_patch(changes: Iterable[ServiceChange]) -> dict[str, Any]:
    """The one patch for an environment; several changes to the same service are merged (later fields win)."""
    services: dict[str, dict[str, Any]] = {}
    for change in changes:
        entry = service_patch(change)
        if not entry:
            continue
        target = services.setdefault(change.service_id, {})
        for section, fields in entry.items():
            target.setdefault(section, {}).update(fields)
    return {"services": services} if services else {}
