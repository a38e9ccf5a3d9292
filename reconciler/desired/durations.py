"""Durations as written in the desired state (`90s`, `5m`, `26h`, `1h30m`, `7d`, `2w`), parsed to timedelta."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic_core import PydanticCustomError

from reconciler.desired.plain import Plain

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")
PATTERN = r"^([0-9]+[smhdw])+$"


def parse_duration(text: str) -> timedelta:
    """Parse `1h30m`-style text; raise ValueError with a readable reason when it is not a positive duration."""
    compact = text.strip()
    if not _WHOLE.fullmatch(compact):
        raise ValueError(f"'{text}' is not a duration; write a number and a unit, such as 90s, 5m, 26h or 7d")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in _PART.findall(compact))
    if seconds == 0:
        raise ValueError("a duration must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """`1h30m`-style text for a whole number of seconds (whole days as `7d`); parse_duration reads it back."""
    remaining = int(value.total_seconds())
    if remaining == 0:
        return "0s"
    if remaining % 86400 == 0:
        return f"{remaining // 86400}d"
    parts = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _validate(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("duration_type", "expected a duration such as 90s, 5m, 26h or 7d")
    if isinstance(value, int):
        raise PydanticCustomError(
            "duration_unit", "a duration needs a unit: write {value}s, {value}m or {value}h", {"value": value}
        )
    try:
        return parse_duration(value)
    except ValueError as e:
        raise PydanticCustomError("duration", str(e)) from None


Duration = Annotated[
    timedelta,
    Plain(
        _validate,
        format_duration,
        {"type": "string", "pattern": PATTERN, "examples": ["90s", "5m", "26h", "7d"]},
        json_only=True,
    ),
]
