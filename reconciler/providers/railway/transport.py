"""HTTP transport for Railway's GraphQL API: auth, bounded retries with backoff and jitter, error translation.

One `Transport` holds one `httpx.Client` (a connection pool, safe to share between threads). Reads and converging
writes are retried on 429 (after `Retry-After`), 5xx, dropped connections and timeouts, bounded in attempts and in
total time. Requests that start new work (`starts_work=True`) are retried only when the request surely never
reached Railway (a refused connection, a 429); any other failure raises `OutcomeUnknown`, and the caller re-reads.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.providers.railway import operations
from reconciler.providers.railway.errors import (
    InvalidRequest,
    NotAuthorized,
    NotFound,
    NoToken,
    OutcomeUnknown,
    RailwayUnavailable,
    from_graphql_errors,
    is_rate_limited,
    scrub,
)

DEFAULT_ENDPOINT = "https://backboard.railway.com/graphql/v2"
log = logging.getLogger("reconciler.railway")


@dataclass(frozen=True)
class Credentials:
    """A Railway token and the header it travels in. Its repr names the kind, never the value."""

    header: str
    token: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(header={self.header!r}, token=***)"

    __str__ = __repr__

    @property
    def headers(self) -> dict[str, str]:
        if self.header == "Authorization":
            return {"Authorization": f"Bearer {self.token}"}
        return {self.header: self.token}


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials:
    """`RAILWAY_API_TOKEN` (account/workspace, Bearer) first, else `RAILWAY_TOKEN` (project token)."""
    env = os.environ if environ is None else environ
    if env.get("RAILWAY_API_TOKEN"):
        return Credentials("Authorization", env["RAILWAY_API_TOKEN"])
    if env.get("RAILWAY_TOKEN"):
        return Credentials("Project-Access-Token", env["RAILWAY_TOKEN"])
    raise NoToken("no Railway token: set RAILWAY_API_TOKEN (account or workspace) or RAILWAY_TOKEN (project)")


def endpoint_from_env(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("RAILWAY_API_URL") or DEFAULT_ENDPOINT


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one request: attempts, total seconds, and the exponential backoff with full jitter."""

    max_attempts: int = 5
    max_total_seconds: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 10.0
    max_retry_after: float = 60.0
    """The longest `Retry-After` we wait out inside one call; a longer one surfaces as `RailwayUnavailable(delay=)`."""

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Delay before retry number `attempt` (1-based): uniform in [0, min(max, base * 2^(attempt-1))]."""
        cap = min(self.max_delay, self.base_delay * (2.0 ** (attempt - 1)))
        return float(cap * rng())


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying; `delay` overrides the backoff."""

    def __init__(self, reason: str, *, sent: bool, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        """Whether the request may have reached Railway (matters for requests that start work)."""
        self.delay = delay


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class Transport:
    """Sends one named operation at a time and returns its `data`, or raises one of our errors."""

    def __init__(
        self,
        credentials: Credentials,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        http_transport: httpx.BaseTransport | None = None,
        max_connections: int = 20,
    ) -> None:
        self.endpoint = endpoint
        self.retry = retry or RetryPolicy()
        self._secrets = (credentials.token,)
        self._auth_kind = credentials.header
        self._sleep, self._clock, self._rng = sleep, clock, rng
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        """HTTP requests sent, by operation name (retries included)."""
        self._http = httpx.Client(
            headers={**credentials.headers, "User-Agent": "reconciler", "Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=http_transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"Transport(endpoint={self.endpoint!r}, auth={self._auth_kind!r})"

    def close(self) -> None:
        self._http.close()

    def execute(
        self,
        operation: str,
        variables: Mapping[str, Any],
        *,
        starts_work: bool = False,
        redact: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Send `operation` and return its `data`. `redact` lists values (e.g. variable values being written) that
        must not appear in an error even if Railway echoes them back."""
        document = operations.document(operation)
        body = {"query": document, "variables": dict(variables), "operationName": operation}
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(operation, body, redact)
            except _Retry as failure:
                if starts_work and failure.sent:
                    raise OutcomeUnknown(
                        f"Railway {operation}: {failure.reason}; the request may have taken effect"
                    ) from None
                delay = failure.delay if failure.delay is not None else self.retry.backoff(attempt, self._rng)
                elapsed = self._clock() - started
                if failure.delay is not None and failure.delay > self.retry.max_retry_after:
                    raise RailwayUnavailable(f"Railway {operation}: {failure.reason}", delay=failure.delay) from None
                if attempt >= self.retry.max_attempts or elapsed + delay > self.retry.max_total_seconds:
                    raise RailwayUnavailable(
                        f"Railway {operation}: {failure.reason} (gave up after {attempt} attempts, {elapsed:.1f}s)",
                        delay=failure.delay,
                    ) from None
                log.info("railway %s: %s; retry %d in %.2fs", operation, failure.reason, attempt, delay)
                self._sleep(delay)

    def _attempt(self, operation: str, body: dict[str, Any], redact: Sequence[str]) -> dict[str, Any]:
        with self._lock:
            self.requests[operation] += 1
        try:
            response = self._http.post(self.endpoint, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            # The connection was never established: nothing reached Railway.
            raise _Retry(f"cannot connect ({type(e).__name__})", sent=False) from None
        except httpx.TimeoutException as e:
            raise _Retry(f"timed out ({type(e).__name__})", sent=True) from None
        except httpx.TransportError as e:
            raise _Retry(f"connection failed ({type(e).__name__})", sent=True) from None
        log.debug("railway %s: HTTP %d", operation, response.status_code)
        return self._interpret(operation, response, redact)

    def _interpret(self, operation: str, response: httpx.Response, redact: Sequence[str]) -> dict[str, Any]:
        status = response.status_code
        if status == 429:
            # Railway sets Retry-After on every 429; the rate limiter answers before doing any work.
            delay = _retry_after(response.headers.get("Retry-After"))
            raise _Retry("rate limited (HTTP 429)", sent=False, delay=delay)
        if status >= 500:
            raise _Retry(f"HTTP {status}", sent=True)
        payload = self._json(operation, response)
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            if not isinstance(errors, list):
                errors = [{"message": str(errors)}]
            errors = [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
            if is_rate_limited(errors):
                raise _Retry("rate limited", sent=False, delay=_retry_after(response.headers.get("Retry-After")))
            raise from_graphql_errors(operation, errors, (*self._secrets, *redact))
        if status in (401, 403):
            raise NotAuthorized(operation, f"HTTP {status}")
        if status == 404:
            raise NotFound(operation, f"HTTP {status} at the GraphQL endpoint")
        if status >= 400:
            raise InvalidRequest(operation, f"HTTP {status}")
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise InvalidRequest(operation, "response has no data")
        return data

    def _json(self, operation: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            if response.status_code in (401, 403):
                raise NotAuthorized(operation, f"HTTP {response.status_code}") from None
            if response.status_code == 404:
                raise NotFound(operation, "HTTP 404 at the GraphQL endpoint") from None
            if response.status_code >= 400:
                raise InvalidRequest(operation, f"HTTP {response.status_code}") from None
            # A truncated or garbled 200 body: the request may have been processed.
            raise _Retry("unreadable response body", sent=True) from None


__all__ = ["DEFAULT_ENDPOINT", "Credentials", "RetryPolicy", "Transport", "credentials_from_env", "scrub"]
