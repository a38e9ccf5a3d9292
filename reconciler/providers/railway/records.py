"""Immutable records of what the Railway client reads and what its actions return.

Plain frozen dataclasses: no httpx or GraphQL types leak past the adapter. Variable values are never held here,
only names; the environment config document is reduced to the few facts we need (it can carry secrets).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class DeploymentState(enum.Enum):
    """What a `DeploymentStatus` means for a caller that waits on it."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NEEDS_APPROVAL = "needs_approval"
    UNKNOWN = "unknown"
    """A status the schema does not list (e.g. a third party reports `CANCELLED`); never treated as success."""


_IN_PROGRESS = frozenset({"QUEUED", "WAITING", "INITIALIZING", "BUILDING", "DEPLOYING"})
# SLEEPING is a serverless deployment that is healthy but idle.
_SUCCEEDED = frozenset({"SUCCESS", "SLEEPING"})
# REMOVING is on its way to REMOVED; CANCELLED is not in the schema but is reported as terminal in the wild.
_FAILED = frozenset({"FAILED", "CRASHED", "REMOVED", "REMOVING", "SKIPPED", "CANCELLED"})


def deployment_state(status: str) -> DeploymentState:
    if status in _SUCCEEDED:
        return DeploymentState.SUCCEEDED
    if status in _FAILED:
        return DeploymentState.FAILED
    if status in _IN_PROGRESS:
        return DeploymentState.IN_PROGRESS
    if status == "NEEDS_APPROVAL":
        return DeploymentState.NEEDS_APPROVAL
    return DeploymentState.UNKNOWN


@dataclass(frozen=True)
class Deployment:
    id: str
    status: str
    """Railway's `DeploymentStatus` verbatim (kept as text so an unknown value survives)."""
    created_at: datetime | None = None
    status_updated_at: datetime | None = None
    can_rollback: bool = False
    can_redeploy: bool = False
    stopped: bool = False
    image: str | None = None
    """The image the deployment runs (with tag), from its meta, when Railway reports it."""
    commit: str | None = None
    """The git commit the deployment was built from, for repo sources."""
    service_id: str | None = None
    environment_id: str | None = None

    @property
    def state(self) -> DeploymentState:
        return deployment_state(self.status)


@dataclass(frozen=True)
class RegionReplicas:
    region: str
    replicas: int


@dataclass(frozen=True)
class RestartPolicy:
    type: str
    """`ALWAYS`, `NEVER` or `ON_FAILURE`."""
    max_retries: int


@dataclass(frozen=True)
class VolumeInstance:
    id: str
    volume_id: str
    volume_name: str
    service_id: str | None
    mount_path: str
    size_mb: int
    current_size_mb: float
    state: str | None
    region: str | None
    backup_schedules: tuple[str, ...] = ()
    """`DAILY`, `WEEKLY`, `MONTHLY` as configured on the service's volume mount."""


@dataclass(frozen=True)
class ServiceInstance:
    """One service in one environment: its live settings and deployments."""

    service_id: str
    name: str
    instance_id: str
    image: str | None
    """The configured source image with its tag; `None` for a repo source."""
    repo: str | None
    replicas: int | None
    """Total replicas: the sum over `regions` when a multi-region config exists, else `numReplicas`."""
    regions: tuple[RegionReplicas, ...]
    """The multi-region config from the environment config, sorted by region."""
    region: str | None
    healthcheck_path: str | None
    healthcheck_timeout: int | None
    """Seconds."""
    pre_deploy_command: tuple[str, ...]
    start_command: str | None
    restart_policy: RestartPolicy
    latest: Deployment | None
    """The most recent deployment, whatever its status."""
    active: Deployment | None
    """The newest deployment that is live and healthy (serving traffic), if any."""
    variable_names: frozenset[str] = frozenset()
    """Names of variables set on this service in this environment; values are never read."""
    volumes: tuple[VolumeInstance, ...] = ()

    def missing_variables(self, required: frozenset[str] | set[str] | tuple[str, ...]) -> tuple[str, ...]:
        """Required variable names that are not set on this service, sorted."""
        return tuple(sorted(set(required) - self.variable_names))


@dataclass(frozen=True)
class EnvironmentState:
    """One environment's whole live state, read in one request (plus pages only when a list is long)."""

    project_id: str
    environment_id: str
    environment_name: str
    config_etag: str
    services: tuple[ServiceInstance, ...]
    volumes: tuple[VolumeInstance, ...] = ()
    shared_variable_names: frozenset[str] = frozenset()
    requests: int = 1
    """How many HTTP requests the read took (1 unless a list needed more pages)."""

    def service(self, name_or_id: str) -> ServiceInstance | None:
        return next((s for s in self.services if name_or_id in (s.name, s.service_id)), None)


@dataclass(frozen=True)
class EnvironmentRef:
    """An environment to observe, by project and environment name or id."""

    project: str
    environment: str


@dataclass(frozen=True)
class ResolvedEnvironment:
    project_id: str
    project_name: str
    environment_id: str
    environment_name: str
    services: tuple[tuple[str, str], ...] = ()
    """(name, id) of the project's services."""

    def service_id(self, name_or_id: str) -> str | None:
        return next((sid for name, sid in self.services if name_or_id in (name, sid)), None)


class FailureKind(enum.Enum):
    """Why a deployment did not become healthy; read from its `deploymentEvents`."""

    NONE = "none"
    BUILD = "build"
    MIGRATION = "migration"
    """The pre-deploy command (where migrations run) failed."""
    HEALTHCHECK = "healthcheck"
    CRASHED = "crashed"
    REMOVED = "removed"
    """Superseded, cancelled or removed before it became healthy."""
    NEEDS_APPROVAL = "needs_approval"
    TIMED_OUT = "timed_out"
    OTHER = "other"


@dataclass(frozen=True)
class DeploymentEvent:
    step: str
    created_at: datetime | None
    completed_at: datetime | None
    error: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DeployOutcome:
    """The end of waiting for a deployment: its last status and, on failure, which step failed."""

    deployment: Deployment
    succeeded: bool
    failure: FailureKind = FailureKind.NONE
    failed_step: str | None = None
    message: str | None = None
    events: tuple[DeploymentEvent, ...] = ()


@dataclass(frozen=True)
class StagedPatch:
    id: str
    status: str
    message: str | None
    service_ids: tuple[str, ...] = ()
    """Services the staged patch touches (its content is not kept: it may carry variable values)."""


@dataclass(frozen=True)
class Sample:
    ts: int
    """Seconds since the Unix epoch."""
    value: float


@dataclass(frozen=True)
class ReplicaMetrics:
    deployment_instance_id: str | None
    deployment_id: str | None
    region: str | None
    cpu: tuple[Sample, ...] = ()
    """vCPU used."""
    memory_gb: tuple[Sample, ...] = ()


@dataclass(frozen=True)
class HttpMetrics:
    """A service's HTTP traffic over a window: request counts by status code and duration percentiles (ms)."""

    counts_by_status: tuple[tuple[int, int], ...]
    p95_samples: tuple[Sample, ...] = ()
    p50_samples: tuple[Sample, ...] = ()
    p99_samples: tuple[Sample, ...] = ()

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts_by_status)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.counts_by_status if status >= 500)

    @property
    def error_rate(self) -> float:
        """Share of requests answered 5xx; 0.0 when there were none."""
        return self.server_errors / self.total if self.total else 0.0

    @property
    def p95_ms(self) -> float | None:
        """The worst p95 seen in the window (percentiles cannot be merged exactly; the max is the safe side)."""
        return max((s.value for s in self.p95_samples), default=None)


@dataclass(frozen=True)
class ServiceChange:
    """What one environment patch changes for one service. `None` leaves a field alone."""

    service_id: str
    image: str | None = None
    regions: tuple[RegionReplicas, ...] | None = None
    """Replicas per region, written with explicit region keys; regions live now but absent here are removed."""
    healthcheck_path: str | None = None
    healthcheck_timeout: int | None = None
    pre_deploy_command: tuple[str, ...] | None = None
    removed_regions: tuple[str, ...] = field(default=())
    """Regions to delete from the multi-region config (sent as `null`)."""
