"""The demo app each running emulated deployment starts: a tiny HTTP service whose misbehaviour is chosen per version.

Run as `python -m reconciler.sandbox.demo_app --port 0 --spec '<json>'`; it prints `LISTENING <port>` as its first
line. It serves `/health` (JSON status plus database, memory and disk checks), `/version`, smoke endpoints
(`POST /auth/login`, `GET /api/items`) and, for the emulator, `GET /__emulator/requests?since=<epoch>` (what it
served: time, method, path, status, duration). Behaviours (`spec.behaviour`): `healthy`, `fails_health`, `crashes`
(exits 1 after `crash_after` seconds), `migration_fails` (the emulator fails its pre-deploy step; the app is healthy),
`errors` (`error_rate` of smoke requests, default 0.3, answer 500), `slow` (`slow_fraction` of smoke requests, default
0.1, take `slow_ms`, default 800). Standard library only: it must start fast and never needs the sandbox extra.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROBE_HEADER = "X-Railway-Healthcheck"
MAX_RECORDS = 50_000


class DemoState:
    """What the app is and what it has served; shared by the request threads."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.behaviour = str(spec.get("behaviour", "healthy"))
        self.lock = threading.Lock()
        self.records: list[tuple[float, str, str, int, float]] = []
        self.smoke_requests = 0

    def next_is(self, fraction: float) -> bool:
        """Exactly `fraction` of smoke requests, spread evenly and deterministically (request n of N)."""
        with self.lock:
            n = self.smoke_requests
            self.smoke_requests += 1
        return math.floor((n + 1) * fraction) > math.floor(n * fraction)

    def record(self, method: str, path: str, status: int, duration_ms: float) -> None:
        with self.lock:
            self.records.append((time.time(), method, path, status, duration_ms))
            del self.records[:-MAX_RECORDS]


def database_check() -> str:
    """`up` when DATABASE_URL's host accepts a TCP connection (or no database is configured), else `down`."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "up"
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=0.5):
            return "up"
    except OSError:
        return "down"


class Handler(BaseHTTPRequestHandler):
    server_version = "demo-app"
    protocol_version = "HTTP/1.1"
    state: DemoState

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and delayed ACKs add ~40 ms
        # to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator reads counters, not logs."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        if path == "/__emulator/requests":
            since = float(urllib.parse.parse_qs(query).get("since", ["0"])[0])
            with self.state.lock:
                rows = [row for row in self.state.records if row[0] >= since]
            self._send(200, {"requests": rows})
            return
        status, payload = self._route(method, path, body)
        self._send(status, payload)
        if not self.headers.get(PROBE_HEADER):
            self.state.record(method, path, status, (time.perf_counter() - started) * 1000)

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        state, spec = self.state, self.state.spec
        if path == "/health" and method == "GET":
            if state.behaviour == "fails_health":
                return 503, {"status": "error", "checks": {"database": "down", "memory": "up", "disk": "up"}}
            database = database_check()
            status = "ok" if database == "up" else "degraded"
            return 200, {"status": status, "checks": {"database": database, "memory": "up", "disk": "up"}}
        if path == "/version" and method == "GET":
            return 200, {"version": spec.get("version"), "image": spec.get("image"), "commit": spec.get("commit")}
        if path not in ("/auth/login", "/api/items"):
            return 404, {"error": "not found"}
        if state.behaviour == "slow" and state.next_is(float(spec.get("slow_fraction", 0.1))):
            time.sleep(float(spec.get("slow_ms", 800)) / 1000)
        elif state.behaviour == "errors" and state.next_is(float(spec.get("error_rate", 0.3))):
            return 500, {"error": "internal error"}
        if path == "/auth/login" and method == "POST":
            return self._login(body)
        if path == "/api/items" and method == "GET":
            return 200, {"items": [{"id": 1, "name": "first"}, {"id": 2, "name": "second"}]}
        return 405, {"error": "method not allowed"}

    def _login(self, body: bytes) -> tuple[int, Any]:
        try:
            credentials = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "invalid JSON"}
        if not isinstance(credentials, dict) or not credentials.get("email") or not credentials.get("password"):
            return 400, {"error": "email and password are required"}
        expected = os.environ.get("SMOKE_PASSWORD")
        if expected is not None and credentials["password"] != expected:
            return 401, {"error": "invalid credentials"}
        return 200, {"token": f"demo-token-{abs(hash(credentials['email'])) % 10**8}"}

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _exit_later(delay: float, code: int) -> None:
    time.sleep(delay)
    os._exit(code)


def _exit_when_orphaned(parent: int) -> None:
    # If the emulator dies without stopping us (SIGKILL), we must not outlive it.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--spec", default="{}", help="JSON: behaviour, version, image, commit and tuning")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    Handler.state = DemoState(spec)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    if spec.get("behaviour") == "crashes":
        threading.Thread(target=_exit_later, args=(float(spec.get("crash_after", 0.5)), 1), daemon=True).start()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
