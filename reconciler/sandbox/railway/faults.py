"""Fault injection and rate limits: what the emulator does to a request before it answers it.

Rules match an operation name (or "*") and fire for the next `times` matching requests (or always). Kinds:
`latency` (sleep `seconds` then answer), `rate_limit` (429 with `Retry-After`), `error` (HTTP `status`, 5xx by
default), `drop` (close the connection without a response), `timeout` (hold the request `seconds`, then drop it).
Rate limits count requests per token in sliding one-second and one-hour windows, like Railway's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

KINDS = frozenset({"latency", "rate_limit", "error", "drop", "timeout"})


@dataclass
class Fault:
    kind: str
    operation: str = "*"
    times: int | None = None
    seconds: float = 0.0
    status: int = 503
    retry_after: int = 1


@dataclass(frozen=True)
class Verdict:
    """What to do with one request: wait `delay`, then answer normally or with the fault."""

    delay: float
    fault: Fault | None


class Faults:
    """The fault rules of one server; safe to change from a test while requests are in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(
        self,
        kind: str,
        operation: str = "*",
        *,
        times: int | None = None,
        seconds: float = 0.0,
        status: int = 503,
        retry_after: int = 1,
    ) -> Fault:
        """Inject `kind` into requests for `operation` ("*" for all), the next `times` of them or all."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        if kind == "timeout" and not seconds:
            seconds = 30.0
        fault = Fault(kind, operation, times, seconds, status, retry_after)
        with self._lock:
            self._rules.append(fault)
        return fault

    def set_latency(self, seconds: float, operation: str = "*") -> None:
        """Every matching request waits `seconds` (replacing an earlier latency rule for the same operation)."""
        with self._lock:
            self._rules = [r for r in self._rules if not (r.kind == "latency" and r.operation == operation)]
        if seconds > 0:
            self.add("latency", operation, seconds=seconds)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def verdict(self, operation: str) -> Verdict:
        """Consume the rules that match this request: total latency, and the first other fault (if any)."""
        delay, chosen = 0.0, None
        with self._lock:
            for rule in list(self._rules):
                if rule.operation not in ("*", operation):
                    continue
                if rule.kind != "latency" and chosen is not None:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                if rule.kind == "latency":
                    delay += rule.seconds
                else:
                    chosen = rule
        return Verdict(delay, chosen)


class RateLimiter:
    """Sliding-window limits per key (token); a refused request does not use up the allowance."""

    def __init__(
        self,
        per_second: int | None = None,
        per_hour: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.per_hour = per_hour
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def check(self, key: str) -> tuple[int | None, dict[str, str]]:
        """(seconds to wait if refused else None, rate-limit headers)."""
        if self.per_second is None and self.per_hour is None:
            return None, {}
        now = self._clock()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - 3600:
                seen.popleft()
            last_second = sum(1 for t in seen if t > now - 1)
            wait = None
            if self.per_second is not None and last_second >= self.per_second:
                oldest = next(t for t in seen if t > now - 1)
                wait = max(1, math.ceil(oldest + 1 - now))
            if self.per_hour is not None and len(seen) >= self.per_hour:
                wait = max(wait or 0, math.ceil(seen[0] + 3600 - now))
            if wait is None:
                seen.append(now)
            limit = self.per_hour if self.per_hour is not None else self.per_second
            used = len(seen) if self.per_hour is not None else last_second + (wait is None)
            reset = (seen[0] + 3600) if self.per_hour is not None and seen else now + 1
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, (limit or 0) - used)),
            "X-RateLimit-Reset": str(int(time.time() + (reset - now))),
        }
        if wait is not None:
            headers["Retry-After"] = str(wait)
        return wait, headers
