"""Emulator seeds made from the desired state: Railway as git says it should be, plus deliberate differences.

The sandbox and the integration tests start the Railway emulator from the same `desired-state/` the commands read,
then make live differ on purpose (older versions running, a field changed "in the dashboard"), so `plan` and
`drift` have something real to find.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.model import DesiredState, Service

REGION = "us-west2"


@dataclass(frozen=True)
class Differences:
    """What live should get wrong, keyed by `environment/service`."""

    versions: Mapping[str, str] = field(default_factory=dict)
    replicas: Mapping[str, int] = field(default_factory=dict)
    deploy: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Raw Railway `deploy` keys to override, e.g. {"healthcheckTimeout": 60}."""
    missing_variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _service_config(service: Service, key: str, diff: Differences) -> dict[str, Any]:
    version = diff.versions.get(key, service.version)
    source = {"image": f"{service.image}:{version}"} if service.image else {"repo": service.repo}
    deploy: dict[str, Any] = {
        "multiRegionConfig": {REGION: {"numReplicas": diff.replicas.get(key, service.replicas)}},
        "restartPolicyType": "ON_FAILURE",
        "restartPolicyMaxRetries": 3,
    }
    if service.healthcheck is not None:
        deploy["healthcheckPath"] = service.healthcheck.path
        deploy["healthcheckTimeout"] = int(service.healthcheck.timeout.total_seconds())
    if service.migrations is not None:
        deploy["preDeployCommand"] = [service.migrations.command]
    deploy.update(diff.deploy.get(key, {}))
    skip = set(diff.missing_variables.get(key, ()))
    # Made-up values: the sandbox holds no real secret, and plan only ever reads the names.
    variables = {name: f"sandbox-{name.lower()}" for name in service.variables.required if name not in skip}
    variables.update({name: str(value) for name, value in service.variables.values.items() if isinstance(value, str)})
    return {"source": source, "deploy": deploy, "variables": variables}


def seed_from_desired(
    desired: DesiredState,
    diff: Differences | None = None,
    *,
    processes: bool = False,
    extra_services: int = 0,
) -> dict[str, Any]:
    """An emulator seed with one project per Railway project named in git and every declared service deployed.

    `extra_services` adds that many more declared-looking services (`svc-01`...) for benchmarks.
    """
    diff = diff or Differences()
    projects: dict[str, dict[str, Any]] = {}
    for env in desired.environments.values():
        project = projects.setdefault(env.railway.project, {"name": env.railway.project, "environments": []})
        services = {}
        for name, service in env.services.items():
            services[name] = _service_config(service, f"{env.environment}/{name}", diff)
        for i in range(extra_services):
            services[f"svc-{i:02d}"] = {
                "source": {"image": f"ghcr.io/fixia/svc-{i:02d}:1.0.0"},
                "deploy": {"multiRegionConfig": {REGION: {"numReplicas": 1}}},
            }
        project["environments"].append({"name": env.railway.environment, "services": services})
    for project in projects.values():
        names: dict[str, None] = {}
        for environment in project["environments"]:
            names.update(dict.fromkeys(environment["services"]))
        project["services"] = list(names)
    return {"settings": {"processes": processes}, "projects": list(projects.values())}
