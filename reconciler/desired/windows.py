"""Deploy windows: weekly allow/deny windows (`Mon-Fri 02:00-04:00`) and denied dates (`2026-12-24/2026-12-26`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic_core import PydanticCustomError

from reconciler.desired.plain import Plain

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_WEEKLY = re.compile(r"(?:(?P<days>[A-Za-z,\-]+)\s+)?(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})")
_DATES = re.compile(r"(?P<start>\d{4}-\d{2}-\d{2})(?:/(?P<end>\d{4}-\d{2}-\d{2}))?")


@dataclass(frozen=True)
class WeeklyWindow:
    """Some days of the week (0 = Monday) and a time range in minutes after midnight, end exclusive."""

    days: frozenset[int]
    start: int
    end: int

    def contains(self, moment: datetime) -> bool:
        minute = moment.hour * 60 + moment.minute
        return moment.weekday() in self.days and self.start <= minute < self.end

    def overlaps(self, other: WeeklyWindow) -> bool:
        return bool(self.days & other.days) and self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        days = ",".join(DAY_NAMES[d] for d in sorted(self.days))
        if len(self.days) == 7:
            days = "daily"
        elif sorted(self.days) == list(range(min(self.days), max(self.days) + 1)) and len(self.days) > 2:
            days = f"{DAY_NAMES[min(self.days)]}-{DAY_NAMES[max(self.days)]}"
        return f"{days} {_clock(self.start)}-{_clock(self.end)}"


@dataclass(frozen=True)
class DateRange:
    """Whole days, both ends included, in the window's timezone."""

    start: date
    end: date

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment.date() <= self.end

    def overlaps(self, other: DateRange) -> bool:
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        return self.start.isoformat() if self.start == self.end else f"{self.start}/{self.end}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str, *, is_end: bool) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not is_end)):
        raise ValueError(f"'{text}' is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def _days(text: str | None) -> frozenset[int]:
    if text is None or text.lower() == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for item in text.split(","):
        first, _, last = item.partition("-")
        if first.lower() not in _DAY_INDEX or (last and last.lower() not in _DAY_INDEX):
            raise ValueError(f"'{item}' is not a day or a range of days such as Mon-Fri")
        start = _DAY_INDEX[first.lower()]
        end = _DAY_INDEX[last.lower()] if last else start
        # A range may wrap past Sunday: Fri-Mon is Fri, Sat, Sun, Mon.
        days.update((start + step) % 7 for step in range((end - start) % 7 + 1))
    return frozenset(days)


def parse_weekly(text: str) -> WeeklyWindow:
    """Parse `Mon-Fri 02:00-04:00`, `Sat,Sun 00:00-24:00` or `02:00-04:00` (every day)."""
    match = _WEEKLY.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not a window; write days and a time range, such as 'Mon-Fri 02:00-04:00'")
    start = _minutes(match["start"], is_end=False)
    end = _minutes(match["end"], is_end=True)
    if end <= start:
        raise ValueError(
            f"window '{text}' ends before it starts; split a window that crosses midnight in two (…-24:00 and 00:00-…)"
        )
    return WeeklyWindow(_days(match["days"]), start, end)


def parse_dates(text: str) -> DateRange:
    """Parse `2026-12-24/2026-12-26` (both days included) or a single day `2026-12-31`."""
    match = _DATES.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not a date or a date range such as 2026-12-24/2026-12-26")
    try:
        start = date.fromisoformat(match["start"])
        end = date.fromisoformat(match["end"]) if match["end"] else start
    except ValueError:
        raise ValueError(f"'{text}' contains a day that does not exist") from None
    if end < start:
        raise ValueError(f"date range '{text}' ends before it starts")
    return DateRange(start, end)


def _allow(value: Any) -> WeeklyWindow:
    if isinstance(value, WeeklyWindow):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("window_type", "expected a window such as 'Mon-Fri 02:00-04:00'")
    try:
        return parse_weekly(value)
    except ValueError as e:
        raise PydanticCustomError("window", str(e)) from None


def _deny(value: Any) -> WeeklyWindow | DateRange:
    if isinstance(value, WeeklyWindow | DateRange):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("window_type", "expected a date range such as '2026-12-24/2026-12-26' or a window")
    try:
        return parse_dates(value) if value.strip()[:1].isdigit() and "-" in value[:5] else parse_weekly(value)
    except ValueError as e:
        raise PydanticCustomError("window", str(e)) from None


AllowWindow = Annotated[WeeklyWindow, Plain(_allow, str, {"type": "string", "examples": ["Mon-Fri 02:00-04:00"]})]
DenyWindow = Annotated[
    WeeklyWindow | DateRange,
    Plain(_deny, str, {"type": "string", "examples": ["2026-12-24/2026-12-26", "Fri 16:00-24:00"]}),
]
