"""The emulator's in-memory records: projects, environments, services, deployments and their events.

These are the emulator's mutable state (guarded by `Emulator.lock`); a service instance's settings are not a
record of their own but live in the environment's config document, as they do in Railway's `EnvironmentConfig`.
"""

from __future__ import annotations

import datetime
import itertools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

# Statuses after which a deployment never changes again (SUCCESS can still become CRASHED or REMOVED).
FINAL_STATUSES = frozenset({"FAILED", "CRASHED", "REMOVED", "SKIPPED"})
IN_PROGRESS_STATUSES = frozenset({"QUEUED", "WAITING", "INITIALIZING", "BUILDING", "DEPLOYING"})

BEHAVIOURS = frozenset({"healthy", "fails_health", "crashes", "migration_fails", "errors", "slow"})


class ApiError(Exception):
    """A request the emulated API refuses; the message is what the GraphQL error says."""


@dataclass(frozen=True)
class Timings:
    """How long (real seconds) each lifecycle phase takes. The defaults suit an interactive sandbox."""

    phase: float = 0.5
    healthcheck_interval: float = 0.1
    # Cap on a service's healthcheckTimeout (Railway's default is 300 s), so a failing health check ends sooner.
    healthcheck_timeout: float = 10.0
    crash_after: float = 1.0


# For tests: phases of tens of milliseconds. A failing health check still waits for its service's healthcheckTimeout
# (capped at 10 s, so a loaded machine does not fail a healthy app): set a short one where a test wants the failure.
FAST = Timings(phase=0.02, healthcheck_interval=0.02, healthcheck_timeout=10.0, crash_after=0.3)


_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    """A Railway-looking id (a UUID), readable in test failures thanks to the prefix."""
    return f"{prefix}-{uuid.uuid4()}"


def iso(ts: float) -> str:
    """Epoch seconds as the ISO 8601 `DateTime` Railway returns."""
    moment = datetime.datetime.fromtimestamp(ts, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    """A `DateTime` argument as epoch seconds (accepts a trailing Z)."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.timestamp()


@dataclass
class Project:
    id: str
    name: str
    created_at: float


@dataclass
class Service:
    id: str
    name: str
    project_id: str
    created_at: float


@dataclass
class PatchRecord:
    """One committed or staged environment patch (`EnvironmentPatch`)."""

    id: str
    environment_id: str
    # Patches and configs hold variable values: kept out of reprs, which end up in test and error output.
    patch: dict[str, Any] = field(repr=False)
    status: str
    message: str | None
    created_at: float
    applied_at: float | None = None


@dataclass
class Environment:
    id: str
    name: str
    project_id: str
    created_at: float
    config: dict[str, Any] = field(default_factory=dict, repr=False)
    commits: int = 0
    updated_at: float = 0.0
    staged: PatchRecord | None = None
    history: list[PatchRecord] = field(default_factory=list)


@dataclass
class VolumeInstance:
    id: str
    volume_id: str
    volume_name: str
    project_id: str
    environment_id: str
    service_id: str | None
    size_mb: int
    current_size_mb: float
    region: str
    created_at: float


@dataclass
class Event:
    """One `DeploymentEvent`: a step with its start, end and outcome."""

    id: str
    step: str
    created_at: float
    completed_at: float | None = None
    payload: dict[str, Any] | None = None


@dataclass
class Deployment:
    id: str
    project_id: str
    environment_id: str
    service_id: str
    created_at: float
    reason: str
    image: str | None
    repo: str | None
    commit: str | None
    manifest: dict[str, Any]
    variables: dict[str, str] = field(repr=False)
    behaviour: dict[str, Any]
    replicas: int
    status: str = "QUEUED"
    status_updated_at: float = 0.0
    updated_at: float = 0.0
    succeeded: bool = False
    events: list[Event] = field(default_factory=list)
    # Every status the deployment passed through, in order (tests assert the lifecycle with it).
    history: list[str] = field(default_factory=list)
    port: int | None = None
    restarts: int = 0
    # Bumped by a restart, so the monitor thread of the previous run knows to step aside.
    generation: int = 0
    # Set to ask the lifecycle thread of this deployment to stop (superseded, cancelled, emulator stopping).
    cancelled: threading.Event = field(default_factory=threading.Event)
    # Creation order breaks ties between deployments created in the same clock tick.
    seq: int = field(default_factory=lambda: next(_counter))

    def __post_init__(self) -> None:
        self.status_updated_at = self.updated_at = self.created_at
        self.history.append(self.status)
