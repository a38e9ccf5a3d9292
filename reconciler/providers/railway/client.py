"""`RailwayClient`: the one object the reconciler uses to talk to Railway (reads in observe.py, writes in actions.py).

It holds a resource (one HTTP connection pool behind `Transport`) and a small cache of resolved project names, so it
is a class; use it as a context manager. Construction reads no network.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType

import httpx

from reconciler.providers.railway.actions import ActionsMixin, PollPolicy
from reconciler.providers.railway.observe import _Project
from reconciler.providers.railway.transport import (
    RetryPolicy,
    Transport,
    credentials_from_env,
    endpoint_from_env,
)


class RailwayClient(ActionsMixin):
    """Railway's GraphQL API: observe environments, apply patches, deploy, wait, roll back, read metrics."""

    def __init__(
        self,
        transport: Transport,
        *,
        page_size: int = 100,
        poll: PollPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.page_size = page_size
        self.poll = poll or PollPolicy()
        self.sleep = sleep
        self.clock = clock
        self._lock = threading.Lock()
        self._resolve_lock = threading.RLock()
        self._projects: dict[str, _Project] = {}
        self._project_ids: dict[str, str] = {}

    @classmethod
    def from_env(
        cls,
        endpoint: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        page_size: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        http_transport: httpx.BaseTransport | None = None,
    ) -> RailwayClient:
        """A client with the token from `RAILWAY_API_TOKEN` or `RAILWAY_TOKEN` and the endpoint from the argument,
        else `RAILWAY_API_URL`, else Railway's public endpoint."""
        transport = Transport(
            credentials_from_env(environ),
            endpoint or endpoint_from_env(environ),
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            clock=clock,
            http_transport=http_transport,
        )
        return cls(transport, page_size=page_size, poll=poll, sleep=sleep, clock=clock)

    def __repr__(self) -> str:
        return f"RailwayClient({self.transport!r})"

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> RailwayClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
