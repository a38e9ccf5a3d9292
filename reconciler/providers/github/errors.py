"""PyGithub's failures translated into the reconciler's error tree, and the retry policy for its HTTP stack.

Messages carry GitHub's own message (truncated, secrets redacted) and never headers or request bodies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import requests
from github import GithubException, GithubRetry, RateLimitExceededException
from github.GithubException import BadCredentialsException, RateLimitExceededExceedsMaxWait
from urllib3.response import BaseHTTPResponse

from reconciler import actions
from reconciler.errors import PermanentError, ProviderError, TemporaryError

T = TypeVar("T")

# When GitHub says "slow down" without saying for how long, its guidance is to wait at least a minute.
SECONDARY_WAIT = 60.0


class StaleBase(PermanentError):
    """A file changed on the base branch after the reconciler read it: proposing our edit would overwrite it."""


class Conflict(PermanentError):
    """GitHub refused a write because the thing changed underneath it (409), or it already exists (422)."""


def _detail(data: Any) -> str:
    if not isinstance(data, dict):
        return str(data or "")[:200]
    parts = [str(data.get("message") or "")]
    for error in data.get("errors") or ():
        if isinstance(error, dict) and (error.get("message") or error.get("code")):
            parts.append(str(error.get("message") or error.get("code")))
    return "; ".join(p for p in parts if p)[:300]


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    lowered = {str(k).lower(): v for k, v in dict(headers).items()}
    if (value := lowered.get("retry-after")) and str(value).isdigit():
        return float(value)
    if lowered.get("x-ratelimit-remaining") == "0" and str(lowered.get("x-ratelimit-reset", "")).isdigit():
        return max(float(lowered["x-ratelimit-reset"]) - time.time(), 0.0) + 1
    return None


def translate(error: Exception, doing: str) -> ProviderError:
    """One of our errors for a PyGithub/requests failure while `doing` something (a short verb phrase)."""
    if isinstance(error, RateLimitExceededExceedsMaxWait):
        return TemporaryError(f"GitHub {doing}: rate limited for {error.wait:.0f}s, longer than we wait", error.wait)
    if isinstance(error, GithubException):
        status, detail = error.status, actions.redact(_detail(error.data))
        where = f"GitHub {doing}: {detail or 'no message'} ({status})"
        if isinstance(error, BadCredentialsException) or status == 401:
            return PermanentError(f"GitHub {doing}: bad credentials (401): check GITHUB_TOKEN or the App's key")
        if isinstance(error, RateLimitExceededException) or status == 429:
            return TemporaryError(where, _retry_after(error.headers) or SECONDARY_WAIT)
        if status == 403:
            return PermanentError(f"{where}: the token may lack a permission this job needs")
        if status in (409, 422):
            return Conflict(where)
        if status >= 500:
            return TemporaryError(where, _retry_after(error.headers))
        return PermanentError(where)
    if isinstance(error, requests.exceptions.RetryError):
        return TemporaryError(f"GitHub {doing}: still failing after retries (server errors or rate limits)")
    if isinstance(error, requests.RequestException):
        return TemporaryError(f"GitHub {doing}: {type(error).__name__} (network)")
    raise error


@contextmanager
def github_errors(doing: str) -> Iterator[None]:
    """Translate anything PyGithub or requests raises inside the block."""
    try:
        yield
    except (GithubException, requests.RequestException) as e:
        raise translate(e, doing) from e


def call(doing: str, fn: Callable[[], T]) -> T:
    with github_errors(doing):
        return fn()


def is_server_error(error: BaseException) -> bool:
    """A 5xx or a dropped connection: the write may or may not have landed."""
    cause = error.__cause__
    if isinstance(cause, GithubException):
        return cause.status >= 500
    return isinstance(cause, requests.ConnectionError | requests.Timeout)


class WriteSafeRetry(GithubRetry):
    """PyGithub's retry, minus the re-sent POST after a 5xx or a dropped connection.

    A POST that failed that way may have landed; callers look it up before sending it again (`created_once`).
    A 403/429 rate-limit answer means the request was refused unprocessed, so those are retried for any method,
    after `Retry-After`, but never for longer than `max_wait` seconds at a time.
    """

    def __init__(self, max_wait: float = 300.0, **kwargs: Any) -> None:
        self.max_wait = max_wait
        kwargs.pop("max_rate_limit_wait", None)  # GithubRetry.new passes it back; ours is `max_wait`
        kwargs.setdefault("allowed_methods", frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"}))
        kwargs.setdefault("status_forcelist", [*range(500, 600), 429])
        super().__init__(max_rate_limit_wait=max_wait, **kwargs)

    def new(self, **kw: Any) -> WriteSafeRetry:
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in (403, 429):
            # 429 without Retry-After: GitHub wants a minute or more; the caller gets a TemporaryError instead.
            return status_code == 403 or has_retry_after
        if method.upper() == "POST":
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        wait = self.get_retry_after(response)
        if wait is not None and wait > self.max_wait:
            raise TemporaryError(f"GitHub asked to wait {wait:.0f}s before retrying, longer than we wait", wait)
        return bool(super().sleep_for_retry(response))
