"""Five-field cron expressions (as GitHub Actions schedules use them), checked at validate time, not at 3 AM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
# (name, lowest, highest, names) for each of the five fields, in order.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression: the allowed values of each field (day of week 0-6, Sunday = 0)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule fires in the minute of `moment` (both day fields set: either may match, like cron)."""
        if moment.minute not in self.minutes or moment.hour not in self.hours or moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok


def longest_gap(schedule: CronSchedule) -> timedelta | None:
    """The longest time between two firings over a year (None when it never fires): what max_age must cover."""
    times = sorted(hour * 60 + minute for hour in schedule.hours for minute in schedule.minutes)
    within_day = max((b - a for a, b in zip(times, times[1:], strict=False)), default=0)
    start = date(2026, 1, 1)  # any year will do; a year of days covers every month length but a leap day
    days = [start + timedelta(days=n) for n in range(400)]
    firing = [
        n
        for n, day in enumerate(days)
        if schedule.matches(datetime(day.year, day.month, day.day, *divmod(times[0], 60)))
    ]
    if not firing:
        return None
    between_days = max(
        ((later - earlier) * 1440 + times[0] - times[-1] for earlier, later in zip(firing, firing[1:], strict=False)),
        default=0,
    )
    return timedelta(minutes=max(within_day, between_days))


def _value(text: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    number = names.get(text.upper())
    if number is None:
        if not text.isdigit():
            raise ValueError(f"{field} '{text}' is not a number" + (" or a name" if names else ""))
        number = int(text)
    if not low <= number <= high:
        raise ValueError(f"{field} {number} is out of range {low}-{high}")
    return number


def _field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        body, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{field} step '{step_text}' must be a whole number above 0")
            step = int(step_text)
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _value(first, field, low, high, names), _value(last, field, low, high, names)
            if start > end:
                raise ValueError(f"{field} range '{body}' runs backwards")
        elif body:
            start = _value(body, field, low, high, names)
            end = high if step_text else start
        else:
            raise ValueError(f"{field} has an empty item")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> CronSchedule:
    """Parse five fields (minute hour day-of-month month day-of-week); raise ValueError saying which field is wrong."""
    if expression.strip().startswith("@"):
        raise ValueError("cron macros such as @daily are not supported; write five fields, such as '0 3 * * *'")
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), not {len(parts)}"
        )
    sets = [_field(text, *spec) for text, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(day % 7 for day in sets[4])
    return CronSchedule(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] != "*", parts[4] != "*")


def _check(value: str) -> str:
    try:
        parse_cron(value)
    except ValueError as e:
        raise PydanticCustomError("cron", "invalid cron expression: {reason}", {"reason": str(e)}) from None
    return value


Cron = Annotated[
    str,
    AfterValidator(_check),
    WithJsonSchema({"type": "string", "description": "five-field cron, UTC", "examples": ["0 3 * * *"]}),
]
