"""PURE: is there a verified backup young enough? The newest verified backup and its age against `max_age`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol


class Checked(Protocol):
    """Anything with an id, a time and a verified flag: `catalog.BackupRecord` or `observed.BackupFact`."""

    @property
    def id(self) -> str: ...
    @property
    def taken_at(self) -> datetime: ...
    @property
    def verified(self) -> bool: ...


@dataclass(frozen=True)
class Freshness:
    status: Literal["fresh", "stale", "missing"]
    max_age: timedelta
    newest_verified_id: str | None = None
    taken_at: datetime | None = None
    age: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.status == "fresh"

    def describe(self) -> str:
        if self.status == "missing":
            return f"no verified backup (max age {_human(self.max_age)})"
        assert self.age is not None
        verdict = "within" if self.ok else "older than"
        age, limit = _human(self.age), _human(self.max_age)
        return f"newest verified backup {self.newest_verified_id} is {age} old, {verdict} {limit}"


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes or not (days or hours) else "",
    ]
    return "".join(parts)


def freshness(backups: Iterable[Checked], max_age: timedelta, now: datetime | None = None) -> Freshness:
    """`fresh` when the newest verified backup is at most `max_age` old at `now`; `stale` if older; `missing`."""
    now = now or datetime.now(UTC)
    verified = [b for b in backups if b.verified]
    if not verified:
        return Freshness("missing", max_age)
    newest = max(verified, key=lambda b: b.taken_at)
    age = now - newest.taken_at
    return Freshness("fresh" if age <= max_age else "stale", max_age, newest.id, newest.taken_at, age)


_CADENCE = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=30)}


def restore_test_due(last_full_check: datetime | None, cadence: str | None, now: datetime | None = None) -> bool:
    """Whether the scheduled full verification (restore test) is due: never run, or older than its cadence.

    `cadence` is the policy's `verify.restore_test` (daily, weekly, monthly; None turns the test off). A little
    slack (an hour) keeps a weekly cron from skipping a week when last week's run finished a few minutes late.
    """
    if cadence is None:
        return False
    if last_full_check is None:
        return True
    now = now or datetime.now(UTC)
    return now - last_full_check >= _CADENCE[cadence] - timedelta(hours=1)
