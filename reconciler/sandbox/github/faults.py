"""Fault injection for the GitHub stand-in: canned GitHub error answers, armed per route or for the next N requests.

A test arms a fault (`faults.add(secondary_rate_limit(5), method="POST", route="/repos/{owner}/{repo}/issues")`);
the next matching request gets that answer instead of reaching the state. With `landed=True` the request takes
effect first and only its answer is replaced (a write whose response was lost: the case where re-sending a POST
duplicates it). Routes are the OpenAPI path templates.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class Fault:
    """A canned answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


def server_error(status: int = 502) -> Fault:
    """A 5xx as GitHub's front end sends it (PyGithub's default retry re-sends POSTs on these)."""
    messages = {500: "Server Error", 502: "Server Error", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return Fault(status, {"message": messages.get(status, "Server Error"), "documentation_url": DOCS})


def secondary_rate_limit(retry_after: int = 60) -> Fault:
    """403 secondary rate limit with `Retry-After` (PyGithub raises RateLimitExceededException for it)."""
    body = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        "documentation_url": f"{DOCS}/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        "status": "403",
    }
    return Fault(403, body, (("Retry-After", str(retry_after)),))


def primary_rate_limit(reset_in: int = 60) -> Fault:
    """403 with `X-RateLimit-Remaining: 0` and a reset `reset_in` seconds ahead: the hourly budget is spent."""
    body = {
        "message": "API rate limit exceeded for installation ID 1.",
        "documentation_url": f"{DOCS}/using-the-rest-api/rate-limits-for-the-rest-api",
        "status": "403",
    }
    reset = str(int(time.time()) + reset_in)
    return Fault(403, body, (("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)))


def too_many_requests(retry_after: int | None = 1) -> Fault:
    """429 (with `Retry-After` unless None): PyGithub does not map it to a rate-limit exception."""
    body = {"message": "Too Many Requests", "documentation_url": DOCS, "status": "429"}
    headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
    return Fault(429, body, headers)


def stale_sha(path: str = "file", sha: str = "0" * 40) -> Fault:
    """409 on a contents write whose `sha` is not the file's current blob."""
    body = {"message": f"{path} does not match {sha}", "documentation_url": DOCS, "status": "409"}
    return Fault(409, body)


def duplicate_pull_request(head: str = "owner:branch") -> Fault:
    """422 from POST /pulls when an open pull request already exists for `head` (OWNER:BRANCH)."""
    body = {
        "message": "Validation Failed",
        "errors": [
            {"resource": "PullRequest", "code": "custom", "message": f"A pull request already exists for {head}."}
        ],
        "documentation_url": DOCS,
        "status": "422",
    }
    return Fault(422, body)


@dataclass
class _Armed:
    fault: Fault
    method: str | None
    route: str | None
    remaining: int | None  # None: every matching request, until cleared
    landed: bool


@dataclass
class Faults:
    """The armed faults of one stand-in; thread-safe, consumed in the order they were added."""

    _armed: list[_Armed] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        route: str | None = None,
        times: int | None = 1,
        landed: bool = False,
    ) -> None:
        """Answer the next `times` requests matching method/route (None = any) with `fault`; times=None: always.

        landed=True: the request is carried out, then answered with `fault` (only successful requests count).
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        with self._lock:
            self._armed.append(_Armed(fault, method.upper() if method else None, route, times, landed))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def take(self, method: str, route: str | None, *, landed: bool = False) -> Fault | None:
        """The fault for this request, if one is armed for it (consuming one of its uses).

        landed=False asks before the request reaches the state; landed=True after it succeeded.
        """
        with self._lock:
            for armed in self._armed:
                if armed.landed != landed or armed.method not in (None, method) or armed.route not in (None, route):
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                return armed.fault
        return None
