"""The emulator's HTTP server: Railway's GraphQL endpoint on loopback, with faults, rate limits and a counter.

`EmulatorServer` owns a `ThreadingHTTPServer` in a thread and the `Emulator` it serves; stopping it stops every
demo app the emulator started. It accepts `Authorization: Bearer <any>` and `Project-Access-Token: <any>`.
"""

from __future__ import annotations

import collections
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from reconciler.sandbox.railway.emulator import Emulator
from reconciler.sandbox.railway.execute import prepare, run
from reconciler.sandbox.railway.faults import Faults, RateLimiter
from reconciler.sandbox.railway.resolvers import Auth
from reconciler.sandbox.railway.schema import load_schema

GRAPHQL_PATHS = ("/graphql/v2", "/graphql")


class EmulatorServer:
    """A running emulator endpoint; use as a context manager or call `start()` and `stop()`."""

    def __init__(
        self,
        emulator: Emulator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        schema_path: Path | None = None,
        rate_limits: RateLimiter | None = None,
    ) -> None:
        self.emulator = emulator or Emulator()
        self.schema = load_schema(schema_path)
        self.faults = Faults()
        self.rate_limits = rate_limits or RateLimiter()
        self.stopping = threading.Event()
        self._counts: collections.Counter[str] = collections.Counter()
        self._counts_lock = threading.Lock()
        self._address = (host, port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The GraphQL endpoint, e.g. http://127.0.0.1:40123/graphql/v2."""
        if self._httpd is None:
            raise RuntimeError("the emulator server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/graphql/v2"

    @property
    def requests_by_operation(self) -> collections.Counter[str]:
        """A copy of the count of requests received, by operation name ("<anonymous>" when none)."""
        with self._counts_lock:
            return collections.Counter(self._counts)

    def reset_counts(self) -> None:
        with self._counts_lock:
            self._counts.clear()

    def set_rate_limits(self, per_second: int | None = None, per_hour: int | None = None) -> None:
        self.rate_limits = RateLimiter(per_second, per_hour)

    def count(self, operation: str) -> None:
        with self._counts_lock:
            self._counts[operation] += 1

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        handler = type("BoundHandler", (Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(self._address, handler)
        self._httpd.daemon_threads = True
        self.stopping.clear()
        self.emulator.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="railway-emulator"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and stop every demo app; safe to call twice and after a failed start."""
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.emulator.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def _auth(headers: Any) -> tuple[Auth | None, str]:
    """The caller's auth and the key its rate limit is counted under (a token is never logged or echoed)."""
    bearer = str(headers.get("Authorization") or "")
    if bearer.startswith("Bearer ") and bearer[7:].strip():
        return Auth("bearer"), bearer
    project = str(headers.get("Project-Access-Token") or "").strip()
    if project:
        return Auth("project", project), project
    return None, "anonymous"


class Handler(BaseHTTPRequestHandler):
    owner: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "railway-emulator"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and delayed ACKs add ~40 ms
        # to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines would be noise in test output (and headers are never logged)."""

    def do_GET(self) -> None:
        self._reply(200 if self.path == "/" else 404, {"emulator": "railway", "graphql": GRAPHQL_PATHS[0]})

    def do_POST(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.split("?")[0] not in GRAPHQL_PATHS:
            self._reply(404, {"errors": [{"message": "Not Found"}]})
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        operation = _operation_name(owner, body)
        owner.count(operation)
        verdict = owner.faults.verdict(operation)
        if verdict.delay and owner.stopping.wait(verdict.delay):
            self.close_connection = True
            return
        if self._inject(verdict.fault):
            return
        auth, key = _auth(self.headers)
        wait, limit_headers = owner.rate_limits.check(key)
        if wait is not None:
            self._reply(429, {"errors": [{"message": "Rate limit exceeded"}]}, limit_headers)
            return
        if body is None:
            self._reply(400, {"errors": [{"message": "Body must be a JSON object with a query."}]}, limit_headers)
            return
        status, payload = run(owner.schema, owner.emulator, body, auth)
        self._reply(status, payload, limit_headers)

    def _inject(self, fault: Any) -> bool:
        """Answer with the fault if there is one; True when the request has been dealt with."""
        if fault is None:
            return False
        if fault.kind == "rate_limit":
            headers = {"Retry-After": str(fault.retry_after)}
            self._reply(429, {"errors": [{"message": "Rate limit exceeded"}]}, headers)
        elif fault.kind == "error":
            self._reply(fault.status, {"errors": [{"message": "Problem processing request"}]})
        elif fault.kind == "timeout":
            self.owner.stopping.wait(fault.seconds)
            self.close_connection = True
        else:  # drop
            self.close_connection = True
        return True

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _operation_name(owner: EmulatorServer, body: Any) -> str:
    if not isinstance(body, dict):
        return "<invalid>"
    requested = body.get("operationName")
    if isinstance(requested, str) and requested:
        return requested
    if isinstance(body.get("query"), str):
        return prepare(owner.schema, body["query"]).operation_name(None) or "<anonymous>"
    return "<invalid>"
