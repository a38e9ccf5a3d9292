"""The database reference and the backup policy: where dumps go, when, how long they are kept, how they are proven."""

from datetime import timedelta
from typing import Literal, Self

from pydantic import Field, model_validator

from reconciler.desired.base import Location, Model, fail
from reconciler.desired.cron import Cron, CronSchedule, longest_gap, parse_cron
from reconciler.desired.durations import Duration, format_duration
from reconciler.desired.secrets import Secret


class Database(Model):
    """The environment's PostgreSQL database, reached through a connection string held in a secret."""

    url: Secret = Field(description="connection string, by reference: {env: DATABASE_URL}")
    alert_connections_above: int | None = Field(
        default=None, ge=1, le=100, description="alert when connections pass this percentage of max_connections"
    )


class Retention(Model):
    """Which backups to keep, with restic's `forget --keep-*` meanings (UTC, ISO weeks, rules OR-ed together)."""

    keep_last: int | None = Field(default=None, ge=1, description="keep the newest N backups")
    keep_hourly: int | None = Field(
        default=None, ge=1, description="keep the newest backup of each of the last N hours"
    )
    keep_daily: int | None = Field(default=None, ge=1, description="keep the newest backup of each of the last N days")
    keep_weekly: int | None = Field(
        default=None, ge=1, description="keep the newest backup of each of the last N ISO weeks"
    )
    keep_monthly: int | None = Field(
        default=None, ge=1, description="keep the newest backup of each of the last N months"
    )
    keep_yearly: int | None = Field(
        default=None, ge=1, description="keep the newest backup of each of the last N years"
    )
    keep_within: Duration | None = Field(
        default=None, description="keep every backup within this long of the newest one"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            fail([((), "retention keeps nothing: set at least one keep_* rule (an empty policy would delete all)")])
        return self


class BackupVerify(Model):
    """How backups are proven restorable beyond their checksum."""

    restore_test: Literal["daily", "weekly", "monthly"] | None = Field(
        default="weekly", description="how often the newest backup is restored into a scratch database"
    )
    before_deploy_restore: bool = Field(
        default=False, description="also test-restore the pre-deploy backup before migrations run"
    )


class ObjectLock(Model):
    """S3 Object Lock on backup objects, so that they cannot be deleted or overwritten before they expire."""

    mode: Literal["governance", "compliance"] = Field(default="governance", description="S3 Object Lock retention mode")
    days: int = Field(ge=1, description="days each object stays locked")


class Backups(Model):
    """Logical dumps of the database to S3. The endpoint and credentials come from the environment, never from here."""

    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", description="S3 bucket name")
    prefix: str = Field(
        default="", pattern=r"^$|^[^/].*/$", description="key prefix, ending with '/', e.g. production/"
    )
    schedule: Cron = Field(description="when scheduled backups run (five-field cron, UTC)")
    before_deploy: Literal["required", "with_migrations", "never"] = Field(
        default="required", description="take and verify a backup before every deploy, only before migrations, or never"
    )
    retention: Retention = Field(description="which backups prune keeps")
    max_age: Duration = Field(default=timedelta(hours=26), description="alert when the newest verified backup is older")
    verify: BackupVerify = Field(default_factory=lambda: BackupVerify(), description="restore tests")
    encryption: Literal["aws:kms", "AES256", "none"] = Field(default="AES256", description="S3 server-side encryption")
    kms_key_id: str | None = Field(default=None, description="KMS key for aws:kms (default: the bucket's key)")
    object_lock: ObjectLock | None = Field(default=None, description="lock backup objects against deletion")

    @property
    def cron(self) -> CronSchedule:
        """The schedule, parsed (it was checked at load time)."""
        return parse_cron(self.schedule)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[tuple[Location, str]] = []
        if self.kms_key_id is not None and self.encryption != "aws:kms":
            problems.append((("kms_key_id",), "kms_key_id needs encryption: aws:kms"))
        gap = longest_gap(self.cron)
        if gap is None:
            problems.append((("schedule",), f"the schedule '{self.schedule}' never fires"))
        elif self.max_age < gap:
            problems.append(
                (
                    ("max_age",),
                    f"max_age {format_duration(self.max_age)} is shorter than the longest gap between scheduled "
                    f"backups ({format_duration(gap)}): the newest backup would look stale before the next one is due",
                )
            )
        fail(problems)
        return self
