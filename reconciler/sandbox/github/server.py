"""The GitHub stand-in: a stateful GitHub REST server on loopback for PyGithub's `base_url`.

`GitHubStandIn` owns the state, the armed faults, the request counter and (when switched on) response validation
against the OpenAPI slice; it serves them with the standard library's threading HTTP server. Any token is
accepted; a request without one gets GitHub's 401.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler.sandbox.github import (  # noqa: F401  (importing registers the routes)
    routes_git,
    routes_issues,
    routes_pulls,
    routes_records,
    routes_search,
)
from reconciler.sandbox.github.faults import Faults, primary_rate_limit
from reconciler.sandbox.github.routing import DOCS, ApiError, Ctx, Request, Response, Route, find_route
from reconciler.sandbox.github.state import DEFAULT_ACTOR, Repo, State
from reconciler.sandbox.github.validation import Violation, validate_response


@dataclass(frozen=True)
class RequestRecord:
    """One request the stand-in answered: method, route template (None when no route matched), path, status, and
    the decoded query (e.g. to check that pull requests were looked up with `head=owner:branch`)."""

    method: str
    route: str | None
    path: str
    status: int
    query: tuple[tuple[str, str], ...] = ()


def _token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    if scheme.lower() in ("token", "bearer", "basic") and credential.strip():
        return credential.strip()
    return None


class GitHubStandIn:
    """A GitHub REST stand-in: seed it, point PyGithub at `base_url`, then read its state, counter and violations.

    validate: check every response against the OpenAPI slice (tests); violations are collected in `violations`
    and, with strict=True, the response is replaced by a 500 naming the violation so the caller cannot miss it.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        validate: bool = False,
        strict: bool = True,
        actor: str = DEFAULT_ACTOR,
    ) -> None:
        self.state = State(actor)
        self.faults = Faults()
        self.validate = validate
        self.strict = strict
        self.requests: list[RequestRecord] = []
        self.violations: list[Violation] = []
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.stand_in = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self.base_url = f"http://{host}:{self._server.server_address[1]}"

    # -- life cycle -------------------------------------------------------------------------------------------
    def start(self) -> GitHubStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- seeding and inspection -------------------------------------------------------------------------------
    def add_repo(
        self,
        full_name: str,
        files: Mapping[str, str | bytes] | None = None,
        *,
        default_branch: str = "main",
        private: bool = False,
    ) -> Repo:
        """Create OWNER/NAME whose default branch holds `files` ({path: content}) in one commit."""
        return self.state.add_repo(full_name, files, default_branch=default_branch, private=private)

    def repo(self, full_name: str) -> Repo:
        owner, _, name = full_name.partition("/")
        found = self.state.repo(owner, name)
        if found is None:
            raise KeyError(full_name)
        return found

    def count(self, method: str | None = None, route: str | None = None) -> int:
        """How many requests matched method and route template (None = any)."""
        with self.state.lock:
            return sum(1 for r in self.requests if method in (None, r.method) and route in (None, r.route))

    def reset_counter(self) -> None:
        with self.state.lock:
            self.requests.clear()

    # -- one request ------------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], raw_body: bytes) -> Response:
        """Answer one request (header names in lower case); the HTTP layer only moves bytes."""
        split = urllib.parse.urlsplit(target)
        path = split.path
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        found = find_route(method, path)
        route = found[0].template if found else None
        with self.state.lock:
            limit, remaining, reset, used = self.state.spend(0 if route == "/rate_limit" else 1)
            if used > limit and route != "/rate_limit":
                # The hourly budget is spent (lower `state.rate_limit` to provoke it): GitHub's primary limit 403.
                fault = primary_rate_limit(reset - int(time.time()))
                response = Response(fault.status, dict(fault.body), {})
            else:
                response = self._answer(method, path, query, headers, raw_body, found)
            # A fault may set its own rate-limit headers (a spent budget); the counters fill in the rest.
            response.headers = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(reset),
                "X-RateLimit-Used": str(used),
                "X-RateLimit-Resource": "core",
                "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
                **response.headers,
            }
            self.requests.append(RequestRecord(method, route, path, response.status, tuple(sorted(query.items()))))
            if self.validate:
                found_violations = validate_response(method, path, response.status, response.headers, response.body)
                if found_violations:
                    self.violations.extend(found_violations)
                    if self.strict:
                        text = "; ".join(str(v) for v in found_violations)[:4000]
                        message = f"GitHub stand-in response failed validation against the OpenAPI slice: {text}"
                        response = Response(500, {"message": message, "documentation_url": DOCS}, response.headers)
            return response

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        raw_body: bytes,
        found: tuple[Route, dict[str, str]] | None,
    ) -> Response:
        token = _token(headers)
        if token is None:
            return Response(401, {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"})
        fault = self.faults.take(method, found[0].template if found else None)
        if fault is not None:
            return Response(fault.status, dict(fault.body), dict(fault.headers))
        if found is None:
            return Response(404, ApiError(404, "Not Found").body())
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            return Response(400, {"message": "Problems parsing JSON", "documentation_url": DOCS, "status": "400"})
        route, params = found
        ctx = Ctx(self.base_url, self.state, Request(method, path, query, body, token), params)
        try:
            answer: Response = route.handler(ctx)
        except ApiError as error:
            return Response(error.status, error.body())
        except Exception as bug:  # a stand-in bug must be loud in tests, never a hung or reset connection
            self.violations.append(Violation(method, path, route.template, 500, f"internal error: {bug!r}"))
            return Response(500, {"message": f"GitHub stand-in internal error: {bug!r}", "documentation_url": DOCS})
        lost = self.faults.take(method, route.template, landed=True) if answer.status < 300 else None
        if lost is not None:
            return Response(lost.status, dict(lost.body), dict(lost.headers))
        return answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it each keep-alive request stalls ~40 ms
    server_version = "GitHub.com-stand-in"

    def _serve(self) -> None:
        stand_in: GitHubStandIn = self.server.stand_in  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        response = stand_in.handle(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        if response.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines would clutter test output (and the counter already records them)."""
