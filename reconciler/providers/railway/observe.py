"""Reads: resolve names to ids, observe whole environments, read deployments and their events.

Observing an environment is one request (`EnvironmentState`), plus continuation pages only when a list outgrows
`page_size`. Several environments are observed concurrently on threads sharing one connection pool. Every method
here is read-only; `RailwayClient` (client.py) combines these reads with the writes in `actions.py`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.providers.railway import parse
from reconciler.providers.railway.errors import NotAuthorized, NotFound
from reconciler.providers.railway.records import (
    Deployment,
    DeploymentEvent,
    EnvironmentRef,
    EnvironmentState,
    HttpMetrics,
    ReplicaMetrics,
    ResolvedEnvironment,
)
from reconciler.providers.railway.transport import Transport

# Railway ids are UUIDs (the emulator prefixes them, e.g. `env-<uuid>`): such a ref is used as an id directly.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def looks_like_id(ref: str) -> bool:
    return bool(_UUID.search(ref))


@dataclass(frozen=True)
class _Project:
    id: str
    name: str
    environments: tuple[tuple[str, str], ...]
    services: tuple[tuple[str, str], ...]


class ObserveMixin:
    """Name resolution and reads. Expects `self.transport` and `self.page_size` (set by `RailwayClient`)."""

    transport: Transport
    page_size: int
    _lock: threading.Lock
    _resolve_lock: threading.RLock
    _projects: dict[str, _Project]
    _project_ids: dict[str, str]

    def _run(self, operation: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        return self.transport.execute(operation, variables)

    # -- resolution -------------------------------------------------------------------------------------------

    def _remember(self, raw: Mapping[str, Any]) -> _Project:
        project = _Project(
            id=str(raw["id"]),
            name=str(raw["name"]),
            environments=tuple((str(n["name"]), str(n["id"])) for n in parse.nodes(raw.get("environments"))),
            services=tuple((str(n["name"]), str(n["id"])) for n in parse.nodes(raw.get("services"))),
        )
        with self._lock:
            self._projects[project.id] = project
            self._project_ids[project.name] = self._project_ids[project.id] = project.id
        return project

    def _project_id(self, ref: str) -> str:
        """The id of a project named or identified by `ref`; a name costs one request per client (cached)."""
        if looks_like_id(ref):
            return ref
        # Single flight: threads observing environments of one project wait for one listing, not one each.
        with self._resolve_lock:
            return self._list_projects_for(ref)

    def _list_projects_for(self, ref: str) -> str:
        with self._lock:
            if ref in self._project_ids:
                return self._project_ids[ref]
        after: str | None = None
        while True:
            try:
                data = self._run("Projects", {"first": self.page_size, "after": after})["projects"]
            except NotAuthorized:
                # A project token cannot list projects; it names its own.
                token = self._run("ProjectToken", {})["projectToken"]
                with self._lock:
                    self._project_ids[ref] = str(token["projectId"])
                break
            for node in parse.nodes(data):
                self._remember(node)
            after = parse.next_cursor(data)
            with self._lock:
                if after is None or ref in self._project_ids:
                    break
        with self._lock:
            if ref in self._project_ids:
                return self._project_ids[ref]
        raise NotFound("Projects", f"no project named {ref!r} is visible to this token")

    def _project(self, project_id: str) -> _Project:
        with self._lock:
            cached = self._projects.get(project_id)
        if cached is not None:
            return cached
        return self._remember(self._run("Project", {"id": project_id, "first": self.page_size})["project"])

    def resolve(self, ref: EnvironmentRef) -> ResolvedEnvironment:
        """Project, environment and service ids for names or ids (one request, cached per client)."""
        try:
            with self._resolve_lock:  # single flight: concurrent resolutions of one project share one request
                project = self._project(self._project_id(ref.project))
        except NotAuthorized:
            return self._resolve_by_project_token(ref)
        match = next(((n, i) for n, i in project.environments if ref.environment in (n, i)), None)
        if match is None:
            raise NotFound("Project", f"project {project.name!r} has no environment {ref.environment!r}")
        return ResolvedEnvironment(project.id, project.name, match[1], match[0], project.services)

    def _resolve_by_project_token(self, ref: EnvironmentRef) -> ResolvedEnvironment:
        """A project token may not read its project; it still names its one project and environment."""
        token = self._run("ProjectToken", {})["projectToken"]
        project, environment = token.get("project") or {}, token.get("environment") or {}
        project_id, environment_id = str(token["projectId"]), str(token["environmentId"])
        if ref.project not in (project_id, project.get("name")) or ref.environment not in (
            environment_id,
            environment.get("name"),
        ):
            raise NotAuthorized(
                "ProjectToken",
                f"the project token is scoped to {project.get('name')}/{environment.get('name')}, "
                f"not {ref.project}/{ref.environment}",
            )
        return ResolvedEnvironment(
            project_id, str(project.get("name") or ""), environment_id, str(environment.get("name") or "")
        )

    # -- observation ------------------------------------------------------------------------------------------

    def observe_environment(self, ref: EnvironmentRef | str) -> EnvironmentState:
        """One environment's whole live state. A plain string is an environment id.

        Read-only. With ids, this is exactly one request unless a list needs more than one page.
        """
        if isinstance(ref, str):
            return self._read_environment(ref)
        if looks_like_id(ref.environment):
            state = self._read_environment(ref.environment)
            expected = self._project_id(ref.project)
            if state.project_id != expected:
                raise NotFound("EnvironmentState", f"environment {ref.environment!r} is not in project {ref.project!r}")
            return state
        return self._read_environment(self.resolve(ref).environment_id)

    def observe_environments(
        self, refs: Sequence[EnvironmentRef | str], max_workers: int = 8
    ) -> list[EnvironmentState]:
        """Observe several environments concurrently; results in the order of `refs`.

        Names are resolved once per project (single flight), then each environment is one request.
        """
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(refs)))) as pool:
            return list(pool.map(self.observe_environment, refs))

    def _read_environment(self, environment_id: str) -> EnvironmentState:
        data = self._run("EnvironmentState", {"id": environment_id, "first": self.page_size})["environment"]
        requests = 1
        pages: dict[str, list[dict[str, Any]]] = {}
        for field, operation in (
            ("serviceInstances", "EnvironmentServiceInstancesPage"),
            ("volumeInstances", "EnvironmentVolumeInstancesPage"),
        ):
            connection = data.get(field)
            items = parse.nodes(connection)
            after = parse.next_cursor(connection)
            while after is not None:
                page = self._run(operation, {"id": environment_id, "first": self.page_size, "after": after})
                requests += 1
                connection = page["environment"][field]
                items.extend(parse.nodes(connection))
                after = parse.next_cursor(connection)
            pages[field] = items
        config = data.get("config") if isinstance(data.get("config"), dict) else {}
        schedules = parse.backup_schedules(config)
        volumes = tuple(parse.volume(v, schedules) for v in pages["volumeInstances"])
        per_service, shared = parse.variable_names(config)
        services = tuple(
            parse.service_instance(
                raw,
                config,
                per_service.get(str(raw["serviceId"]), frozenset()),
                tuple(v for v in volumes if v.service_id == raw["serviceId"]),
            )
            for raw in pages["serviceInstances"]
        )
        return EnvironmentState(
            project_id=str(data["projectId"]),
            environment_id=str(data["id"]),
            environment_name=str(data["name"]),
            config_etag=str(data["configEtag"]),
            services=tuple(sorted(services, key=lambda s: s.name)),
            volumes=volumes,
            shared_variable_names=shared,
            requests=requests,
        )

    # -- deployments ------------------------------------------------------------------------------------------

    def deployment(self, deployment_id: str) -> Deployment:
        found = parse.deployment(self._run("Deployment", {"id": deployment_id})["deployment"])
        if found is None:
            raise NotFound("Deployment", f"no deployment {deployment_id!r}")
        return found

    def latest_deployment(self, environment_id: str, service_id: str) -> Deployment | None:
        data = self._run("LatestDeployment", {"environmentId": environment_id, "serviceId": service_id})
        return parse.deployment((data.get("serviceInstance") or {}).get("latestDeployment"))

    def recent_deployments(
        self, environment_id: str, service_id: str, limit: int = 10, statuses: Sequence[str] | None = None
    ) -> tuple[Deployment, ...]:
        """The service's latest deployments in the environment, newest first (optionally only these statuses).

        The way to find a rollback target without git: the newest one with `can_rollback`. Read-only.
        """
        variables: dict[str, Any] = {"environmentId": environment_id, "serviceId": service_id, "first": limit}
        if statuses:
            variables["status"] = {"in": list(statuses)}
        data = self._run("Deployments", variables)["deployments"]
        found = [parse.deployment(n) for n in parse.nodes(data)]
        ordered = sorted((d for d in found if d is not None), key=lambda d: d.created_at or _EPOCH, reverse=True)
        return tuple(ordered)

    def deployment_events(self, deployment_id: str) -> tuple[DeploymentEvent, ...]:
        raw: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            data = self._run("DeploymentEvents", {"id": deployment_id, "first": self.page_size, "after": after})
            connection = data["deploymentEvents"]
            raw.extend(parse.nodes(connection))
            after = parse.next_cursor(connection)
            if after is None:
                return parse.events(raw)

    # -- metrics ----------------------------------------------------------------------------------------------

    def replica_metrics(
        self,
        environment_id: str,
        service_id: str,
        start: datetime,
        end: datetime,
        sample_rate_seconds: int | None = None,
    ) -> tuple[ReplicaMetrics, ...]:
        """CPU (vCPU) and memory (GB) samples per replica over [start, end]. Read-only."""
        data = self._run(
            "Metrics",
            {
                "environmentId": environment_id,
                "serviceId": service_id,
                "startDate": _iso(start),
                "endDate": _iso(end),
                "sampleRateSeconds": sample_rate_seconds,
                "measurements": ["CPU_USAGE", "MEMORY_USAGE_GB"],
            },
        )
        return parse.replica_metrics(data.get("metrics") or [])

    def http_metrics(
        self,
        environment_id: str,
        service_id: str,
        start: datetime,
        end: datetime,
        step_seconds: int | None = None,
    ) -> HttpMetrics:
        """Request counts by status code and duration percentiles over [start, end], in one request. Read-only."""
        data = self._run(
            "HttpMetrics",
            {
                "environmentId": environment_id,
                "serviceId": service_id,
                "startDate": _iso(start),
                "endDate": _iso(end),
                "stepSeconds": step_seconds,
            },
        )
        return parse.http_metrics(data)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("metric windows need timezone-aware datetimes")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
