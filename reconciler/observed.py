"""Provider-neutral records of what is live, one `ObservedEnvironment` per environment.

These are plain frozen values: `observe.py` fills them from the providers, `plan.py` reads them. A provider that
could not be asked is recorded as `Unreachable(reason)`, never as an empty record, so that a failure can never be
mistaken for "no changes". `None` means the desired state did not ask for that provider at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Unreachable:
    """A provider that could not be observed, and why (never containing a secret)."""

    provider: str
    reason: str

    def __str__(self) -> str:
        return f"{self.provider} unreachable: {self.reason}"


@dataclass(frozen=True)
class Deployment:
    """One Railway deployment as far as a plan cares: which image, in which state, since when."""

    id: str
    status: str
    image: str | None = None
    created_at: datetime | None = None
    commit: str | None = None
    """The git commit it was built from, for repo sources."""

    @property
    def version(self) -> str | None:
        return split_image(self.image)[1] if self.image else None


@dataclass(frozen=True)
class LiveService:
    """One service instance's live configuration and its current deployment."""

    name: str
    image: str | None = None
    """The configured source image with its tag, e.g. `ghcr.io/fixia/api:1.4.2`; `None` for a repo source."""
    repo: str | None = None
    replicas: int | None = None
    healthcheck_path: str | None = None
    healthcheck_timeout_seconds: int | None = None
    pre_deploy_command: str | None = None
    start_command: str | None = None
    variable_names: frozenset[str] = frozenset()
    """Names of the variables set on the service (values are never read)."""
    active: Deployment | None = None
    """The deployment serving traffic now (the newest SUCCESS), if any."""
    latest: Deployment | None = None
    """The most recent deployment, whatever its status (may be newer than `active` and failed)."""

    @property
    def image_name(self) -> str | None:
        return split_image(self.image)[0] if self.image else None

    @property
    def configured_version(self) -> str | None:
        return split_image(self.image)[1] if self.image else None

    @property
    def running_commit(self) -> str | None:
        return self.active.commit if self.active is not None else None

    @property
    def running_version(self) -> str | None:
        """The version really serving: the active deployment's tag, else the configured one."""
        if self.active is not None and self.active.version is not None:
            return self.active.version
        return self.configured_version


@dataclass(frozen=True)
class RailwayFacts:
    services: tuple[LiveService, ...] = ()
    config_etag: str | None = None

    def service(self, name: str) -> LiveService | None:
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class DatabaseFacts:
    """Read-only facts about the environment's PostgreSQL database."""

    server_version: str
    server_major: int
    pg_dump_version: str | None
    pg_dump_major: int | None
    connections: int
    max_connections: int
    size_bytes: int
    applied_migrations: tuple[str, ...] | None = None
    """Names from the declared migrations table; `None` when no table is declared or it does not exist."""

    @property
    def pg_dump_compatible(self) -> bool:
        """`pg_dump` can dump a server of the same or an older major version, never a newer one."""
        return self.pg_dump_major is not None and self.pg_dump_major >= self.server_major


@dataclass(frozen=True)
class BackupFact:
    """One backup under the environment's prefix (it exists only once its manifest does)."""

    id: str
    taken_at: datetime
    size_bytes: int
    verified: bool


@dataclass(frozen=True)
class BackupsFacts:
    backups: tuple[BackupFact, ...] = ()

    @property
    def newest_verified(self) -> BackupFact | None:
        verified = [b for b in self.backups if b.verified]
        return max(verified, key=lambda b: b.taken_at) if verified else None

    @property
    def newest(self) -> BackupFact | None:
        return max(self.backups, key=lambda b: b.taken_at) if self.backups else None


@dataclass(frozen=True)
class IssueRef:
    number: int
    title: str
    url: str = ""
    body: str = ""
    """The body as the reconciler last wrote it (it carries the first-seen times of drifted fields)."""


@dataclass(frozen=True)
class GitHubFacts:
    """What the reconciler already has open on GitHub for this environment (for de-duplication)."""

    drift_issue: IssueRef | None = None
    maintenance_issues: tuple[IssueRef, ...] = ()
    pull_requests: tuple[IssueRef, ...] = ()
    """Every open pull request the reconciler opened for this environment (today: the adopt PR)."""
    adopt_pull: IssueRef | None = None
    """The open PR that writes adopted live values into git (branch `reconciler/adopt-drift-<environment>`)."""


@dataclass(frozen=True)
class ObservedEnvironment:
    name: str
    observed_at: datetime
    railway: RailwayFacts | Unreachable
    database: DatabaseFacts | Unreachable | None = None
    backups: BackupsFacts | Unreachable | None = None
    github: GitHubFacts | Unreachable | None = None
    not_observed: tuple[str, ...] = ()
    """Providers deliberately not asked, and why (e.g. no database credentials in a plan job): said, not failed."""

    @property
    def unreachable(self) -> tuple[Unreachable, ...]:
        parts = (self.railway, self.database, self.backups, self.github)
        return tuple(p for p in parts if isinstance(p, Unreachable))


@dataclass(frozen=True)
class ObservedState:
    environments: tuple[ObservedEnvironment, ...] = field(default_factory=tuple)

    def environment(self, name: str) -> ObservedEnvironment | None:
        return next((e for e in self.environments if e.name == name), None)


def split_image(reference: str) -> tuple[str, str | None]:
    """`ghcr.io/fixia/api:1.4.2` -> (`ghcr.io/fixia/api`, `1.4.2`); a digest or a port is not a tag."""
    name, _, digest = reference.partition("@")
    if digest:
        return name, None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, None
