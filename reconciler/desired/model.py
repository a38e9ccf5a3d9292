"""The desired state of one environment (one YAML file), and of all of them together.

Every model is frozen and refuses unknown keys. The parts live in small modules; this module is the one place that
other packages import them from.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from reconciler.desired.backups import Backups, BackupVerify, Database, ObjectLock, Retention
from reconciler.desired.base import KEY, Location, Model, fail
from reconciler.desired.gates import (
    RAILWAY_METRICS,
    Approval,
    DeployWindow,
    MetricLimit,
    Promotion,
    Rollback,
    Verification,
)
from reconciler.desired.operations import (
    DRIFT_FIELDS,
    DriftPolicy,
    Maintenance,
    MaintenanceTask,
    Notifications,
)
from reconciler.desired.secrets import SecretRef
from reconciler.desired.service import (
    SERVICE_NAME,
    Autoscaling,
    HealthCheck,
    Migrations,
    Service,
    SmokeExpect,
    SmokeRequest,
    Variables,
    VersionCheck,
)

__all__ = [
    "DRIFT_FIELDS",
    "RAILWAY_METRICS",
    "Approval",
    "Autoscaling",
    "BackupVerify",
    "Backups",
    "Database",
    "DeployWindow",
    "DesiredState",
    "DriftPolicy",
    "Environment",
    "HealthCheck",
    "Maintenance",
    "MaintenanceTask",
    "MetricLimit",
    "Migrations",
    "Notifications",
    "ObjectLock",
    "Promotion",
    "RailwayRef",
    "Retention",
    "Rollback",
    "SecretRef",
    "Service",
    "SmokeExpect",
    "SmokeRequest",
    "Variables",
    "Verification",
    "VersionCheck",
]

ENVIRONMENT_NAME = r"^[a-z0-9][a-z0-9_-]*$"


class RailwayRef(Model):
    """The Railway project and environment this file describes, by name or id."""

    project: str = Field(min_length=1, description="Railway project name or id")
    environment: str = Field(min_length=1, description="Railway environment name or id")


class Environment(Model):
    """The desired state of one environment: the top level of one file in desired-state/."""

    environment: str = Field(pattern=ENVIRONMENT_NAME, description="this environment's name; equals the file name")
    railway: RailwayRef = Field(description="where it lives in Railway")
    promotion: Promotion | None = Field(
        default=None, description="versions must be healthy in another environment first"
    )
    deploy_window: DeployWindow | None = Field(default=None, description="when deploys may start (default: any time)")
    approval: Approval = Field(default_factory=lambda: Approval(), description="actions that wait for a human approval")
    services: dict[str, Service] = Field(min_length=1, description="the Railway services, by name")
    database: Database | None = Field(default=None, description="the PostgreSQL database")
    backups: Backups | None = Field(default=None, description="database backups to S3")
    verification: Verification = Field(
        default_factory=lambda: Verification(), description="metric watch after a deploy"
    )
    rollback: Rollback = Field(
        default_factory=lambda: Rollback(), description="what happens when a deploy fails its checks"
    )
    drift: DriftPolicy = Field(
        default_factory=lambda: DriftPolicy(), description="what to do when live differs from git"
    )
    maintenance: Maintenance = Field(default_factory=lambda: Maintenance(), description="maintenance tasks per cadence")
    notifications: Notifications | None = Field(default=None, description="where to tell people")

    @property
    def name(self) -> str:
        return self.environment

    @property
    def promotion_source(self) -> str | None:
        """The environment a version must be healthy in before it comes here, if any."""
        return self.promotion.from_ if self.promotion is not None else None

    @property
    def has_migrations(self) -> bool:
        return any(service.migrations is not None for service in self.services.values())

    def backup_required_before_deploy(self, *, with_migrations: bool) -> bool:
        """Whether a verified backup must be taken before a deploy (that does or does not run migrations)."""
        if self.backups is None:
            return False
        if self.backups.before_deploy == "required":
            return True
        return self.backups.before_deploy == "with_migrations" and with_migrations

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        import re

        problems: list[tuple[Location, str]] = []
        for name in self.services:
            if not re.match(SERVICE_NAME, name):
                problems.append(
                    (
                        ("services", name, KEY),
                        f"'{name}' is not a service name (lowercase letters, digits, '-' and '_')",
                    )
                )
        if self.promotion is not None and self.promotion.from_ == self.environment:
            problems.append((("promotion", "from"), "an environment cannot promote from itself"))
        if self.backups is not None and self.database is None:
            problems.append((("backups",), "backups need a database: add database: {url: {env: DATABASE_URL}}"))
        for name, service in self.services.items():
            migrations = service.migrations
            if migrations is None or migrations.waive_backup_before_migrations:
                continue
            if not self.backup_required_before_deploy(with_migrations=True):
                why = "no backups are configured" if self.backups is None else "backups.before_deploy is 'never'"
                problems.append(
                    (
                        ("services", name, "migrations"),
                        f"service '{name}' runs migrations but {why}; require a backup before deploy "
                        "or set waive_backup_before_migrations: true",
                    )
                )
        fail(problems)
        return self


@dataclass(frozen=True)
class DesiredState:
    """Every environment, keyed by name, with the file each one came from."""

    environments: Mapping[str, Environment]
    sources: Mapping[str, Path]

    def __getitem__(self, name: str) -> Environment:
        return self.environments[name]

    def names(self) -> list[str]:
        return list(self.environments)

    def source_of(self, name: str) -> Path:
        return self.sources[name]

    def promotion_order(self) -> list[str]:
        """Environment names with every promotion source before the environments that promote from it."""
        ordered: list[str] = []
        pending = dict(self.environments)
        while pending:
            ready = [n for n, e in pending.items() if e.promotion_source not in pending or e.promotion_source == n]
            for name in sorted(ready or list(pending)[:1]):
                ordered.append(name)
                del pending[name]
        return ordered
