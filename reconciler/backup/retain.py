"""PURE: which backups to keep, with restic's `forget --keep-*` semantics exactly, plus our own protections.

restic's rules (doc/060_forget.rst; not borg's): backups are taken newest first; `keep_last/hourly/daily/weekly/
monthly/yearly N` keep the newest backup of each of the last N periods that contain one (calendar periods in UTC,
ISO weeks Monday-Sunday); while a rule still has budget the oldest backup is kept too; rules combine with OR and a
backup spends budget in every rule it satisfies; `keep_within D` keeps everything newer than (newest backup - D);
-1 means unlimited. An empty policy keeps everything and refuses to delete. No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from reconciler.errors import GateRefused


class RetentionRules(Protocol):
    """The shape of `desired.model.Retention` (any object with these attributes will do)."""

    @property
    def keep_last(self) -> int | None: ...
    @property
    def keep_hourly(self) -> int | None: ...
    @property
    def keep_daily(self) -> int | None: ...
    @property
    def keep_weekly(self) -> int | None: ...
    @property
    def keep_monthly(self) -> int | None: ...
    @property
    def keep_yearly(self) -> int | None: ...
    @property
    def keep_within(self) -> timedelta | None: ...


@dataclass(frozen=True)
class Retention:
    """A plain retention policy, for callers without the desired-state model at hand."""

    keep_last: int | None = None
    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_yearly: int | None = None
    keep_within: timedelta | None = None


class Dated(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def taken_at(self) -> datetime: ...


class EmptyPolicy(GateRefused):
    """The retention policy names no rule: deleting by it would delete everything."""


@dataclass(frozen=True)
class Decision:
    id: str
    taken_at: datetime
    keep: bool
    reasons: tuple[str, ...]


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _iso_week(at: datetime) -> int:
    year, week, _ = at.isocalendar()
    return year * 100 + week


# (attribute, reason, period key) in restic's order. keep_last's key is unique per backup (its position).
_RULES: tuple[tuple[str, str, Callable[[datetime, int], int]], ...] = (
    ("keep_last", "last", lambda at, nr: nr),
    ("keep_hourly", "hourly", lambda at, nr: ((at.year * 100 + at.month) * 100 + at.day) * 100 + at.hour),
    ("keep_daily", "daily", lambda at, nr: (at.year * 100 + at.month) * 100 + at.day),
    ("keep_weekly", "weekly", lambda at, nr: _iso_week(at)),
    ("keep_monthly", "monthly", lambda at, nr: at.year * 100 + at.month),
    ("keep_yearly", "yearly", lambda at, nr: at.year),
)


def is_empty(policy: RetentionRules) -> bool:
    counts = [getattr(policy, name) for name, _, _ in _RULES]
    return all(not c for c in counts) and not policy.keep_within


def apply_policy(backups: Iterable[Dated], policy: RetentionRules, now: datetime | None = None) -> list[Decision]:
    """restic's ApplyPolicy: one decision per backup, newest first, with the rules that keep it.

    `now` only decides which backups are "in the future" (they cannot anchor keep_within); it defaults to the
    current time.
    """
    ordered = sorted(backups, key=lambda b: (_utc(b.taken_at), b.id), reverse=True)
    if is_empty(policy):
        return [Decision(b.id, b.taken_at, True, ("policy is empty",)) for b in ordered]
    now = _utc(now or datetime.now(UTC))
    budgets = [getattr(policy, name) or 0 for name, _, _ in _RULES]
    last_keys: list[int | None] = [None] * len(_RULES)
    present = [_utc(b.taken_at) for b in ordered if _utc(b.taken_at) < now]
    latest = max(present) if present else None
    decisions = []
    for nr, backup in enumerate(ordered):
        at = _utc(backup.taken_at)
        reasons: list[str] = []
        if policy.keep_within and latest is not None and at > latest - policy.keep_within:
            reasons.append(f"within {policy.keep_within}")
        for i, (_, reason, key_of) in enumerate(_RULES):
            if budgets[i] > 0 or budgets[i] == -1:
                key = key_of(at, nr)
                if key != last_keys[i] or nr == len(ordered) - 1:
                    last_keys[i] = key
                    if budgets[i] > 0:
                        budgets[i] -= 1
                    reasons.append(f"{reason} snapshot")
        decisions.append(Decision(backup.id, backup.taken_at, bool(reasons), tuple(reasons)))
    return decisions


@dataclass(frozen=True)
class Candidate:
    """A backup as prune sees it."""

    id: str
    taken_at: datetime
    verified: bool
    kind: str = "scheduled"
    locked_until: datetime | None = None


@dataclass(frozen=True)
class PrunePlan:
    decisions: tuple[Decision, ...]

    @property
    def keep(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.keep)

    @property
    def delete(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.keep)


def plan_prune(
    backups: Sequence[Candidate],
    policy: RetentionRules,
    *,
    now: datetime | None = None,
    protected: Iterable[str] = (),
) -> PrunePlan:
    """The policy's decisions, then our protections on top: never delete the newest verified backup, the newest
    pre-deploy backup (a deploy may be relying on it for a restore), any backup in `protected`, or one whose
    object lock has not expired. An empty policy raises EmptyPolicy instead of planning anything.
    """
    if is_empty(policy):
        raise EmptyPolicy("the retention policy is empty (no keep_* rule): refusing to delete any backup")
    now = _utc(now or datetime.now(UTC))
    pinned = set(protected)
    verified = [b for b in backups if b.verified]
    newest_verified = max(verified, key=lambda b: _utc(b.taken_at)).id if verified else None
    pre_deploy = [b for b in backups if b.kind == "pre-deploy"]
    newest_pre_deploy = max(pre_deploy, key=lambda b: _utc(b.taken_at)).id if pre_deploy else None
    by_id = {b.id: b for b in backups}
    decisions = []
    for d in apply_policy(backups, policy, now):
        backup = by_id[d.id]
        extra: list[str] = []
        if d.id == newest_verified:
            extra.append("newest verified backup")
        if d.id == newest_pre_deploy:
            extra.append("newest pre-deploy backup")
        if d.id in pinned:
            extra.append("protected by the caller")
        if backup.locked_until is not None and _utc(backup.locked_until) > now:
            extra.append(f"object lock until {_utc(backup.locked_until):%Y-%m-%d %H:%M}Z")
        decisions.append(Decision(d.id, d.taken_at, d.keep or bool(extra), d.reasons + tuple(extra)))
    return PrunePlan(tuple(decisions))
