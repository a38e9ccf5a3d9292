"""Deploy gates and what happens after a deploy: windows, promotion, approval, verification, rollback."""

from datetime import datetime, timedelta
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from reconciler.desired.base import KEY, Location, Model, did_you_mean, fail
from reconciler.desired.durations import Duration
from reconciler.desired.windows import AllowWindow, DenyWindow


def _zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from zoneinfo import available_timezones

        hint = did_you_mean(name, sorted(available_timezones())) or " (use an IANA name such as UTC or Europe/Paris)"
        raise PydanticCustomError("timezone", "unknown timezone '{name}'{hint}", {"name": name, "hint": hint}) from None


class DeployWindow(Model):
    """When deploys may start: inside an allow window (any time when none is given) and outside every deny entry."""

    timezone: str = Field(default="UTC", description="IANA timezone the windows are written in")
    allow: list[AllowWindow] = Field(default=[], description="weekly windows, e.g. 'Mon-Fri 02:00-04:00'")
    deny: list[DenyWindow] = Field(
        default=[], description="dates ('2026-12-24/2026-12-26', both included) or weekly windows; deny wins"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        _zone(name)
        return name

    @model_validator(mode="after")
    def _no_overlaps(self) -> Self:
        problems: list[tuple[Location, str]] = []
        for key, windows in (("allow", self.allow), ("deny", self.deny)):
            for index, window in enumerate(windows):
                for earlier_index, earlier in enumerate(windows[:index]):
                    if type(window) is type(earlier) and window.overlaps(earlier):  # type: ignore[arg-type]
                        problems.append(
                            ((key, index), f"window '{window}' overlaps '{earlier}' ({key} item {earlier_index + 1})")
                        )
                        break
        fail(problems)
        return self

    def is_open(self, moment: datetime) -> bool:
        """Whether a deploy may start at `moment` (an aware datetime). Read-only."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        if any(window.contains(local) for window in self.deny):
            return False
        return not self.allow or any(window.contains(local) for window in self.allow)

    def describe(self) -> str:
        parts = [", ".join(str(w) for w in self.allow) or "any time"]
        if self.deny:
            parts.append("except " + ", ".join(str(w) for w in self.deny))
        return f"{' '.join(parts)} ({self.timezone})"


class Promotion(Model):
    """A version reaches this environment only after it ran healthily in another one."""

    from_: str = Field(alias="from", description="environment the version must be live and verified in first")
    min_soak: Duration | None = Field(default=None, description="how long it must have been healthy there")


ApprovalAction = Literal["deploy", "migrations", "restore", "destructive"]


def _approval_default() -> list[ApprovalAction]:
    return ["restore", "destructive"]


class Approval(Model):
    """Which actions wait for a human approval (a GitHub environment's required reviewers)."""

    required_for: list[ApprovalAction] = Field(
        default_factory=_approval_default, description="actions that need an approval"
    )
    github_environment: str | None = Field(default=None, description="GitHub environment whose reviewers approve")


class MetricLimit(Model):
    """Limits on one metric during the watch window (Argo Rollouts style): breach fails, rollback_above rolls back."""

    max: float | None = Field(default=None, description="verification fails when the metric is above this")
    min: float | None = Field(default=None, description="verification fails when the metric is below this")
    rollback_above: float | None = Field(default=None, description="roll back at once when the metric is above this")
    query: str | None = Field(default=None, description="Prometheus query; default: the Railway metric of this name")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[tuple[Location, str]] = []
        if self.max is None and self.min is None and self.rollback_above is None:
            problems.append(((), "a metric limit needs max, min or rollback_above"))
        if self.max is not None and self.rollback_above is not None and self.rollback_above < self.max:
            problems.append((("rollback_above",), f"rollback_above ({self.rollback_above}) is below max ({self.max})"))
        if self.min is not None and self.max is not None and self.min > self.max:
            problems.append((("min",), f"min ({self.min}) is greater than max ({self.max})"))
        fail(problems)
        return self


# Metrics the reconciler reads from Railway without a query.
RAILWAY_METRICS = ("error_rate", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "cpu_percent", "memory_percent")


class Verification(Model):
    """The watch after a deploy: metrics sampled for a while against their limits."""

    watch: Duration = Field(default=timedelta(minutes=15), description="how long metrics are watched after a deploy")
    interval: Duration = Field(default=timedelta(seconds=30), description="time between two samples")
    metrics: dict[str, MetricLimit] = Field(default={}, description="limits per metric name")

    @model_validator(mode="after")
    def _known_metrics(self) -> Self:
        problems: list[tuple[Location, str]] = []
        for name, limit in self.metrics.items():
            if name not in RAILWAY_METRICS and limit.query is None:
                hint = did_you_mean(name, RAILWAY_METRICS)
                problems.append(
                    (
                        ("metrics", name, KEY),
                        f"unknown metric '{name}'{hint} (Railway's: {', '.join(RAILWAY_METRICS)}; "
                        "any other needs a Prometheus query)",
                    )
                )
        if self.interval > self.watch:
            problems.append((("interval",), "interval is longer than the watch window"))
        fail(problems)
        return self


class Rollback(Model):
    """What happens when a deploy fails its checks."""

    automatic: bool = Field(
        default=True, description="roll back to the previous deployment without waiting for a human"
    )
    revert_pr: bool = Field(default=True, description="open a revert PR so git matches what is live")
    incident_issue: bool = Field(default=True, description="open an incident issue")
