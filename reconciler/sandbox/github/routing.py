"""The plumbing the GitHub stand-in's route handlers share: requests, responses, GitHub errors, the route table,
and `Link` pagination."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler.sandbox.github.spec import GREEDY_PARAMETERS
from reconciler.sandbox.github.state import Repo, State

DOCS = "https://docs.github.com/rest"
T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw (still percent-encoded), without the query
    query: dict[str, str]
    body: Any
    token: str | None


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """A GitHub error answer raised from a handler: `{"message", "documentation_url", "status"[, "errors"]}`."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "documentation_url": DOCS, "status": str(self.status)}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def invalid(resource: str, field_name: str, code: str = "invalid", message: str | None = None) -> ApiError:
    """422 Validation Failed with one error entry, as GitHub reports bad fields."""
    error: dict[str, Any] = {"resource": resource, "field": field_name, "code": code}
    if message is not None:
        error["message"] = message
    return ApiError(422, "Validation Failed", [error])


@dataclass(frozen=True)
class Ctx:
    """What a handler gets: the base URL, the state, the request, and the path parameters (decoded)."""

    base: str
    state: State
    request: Request
    params: dict[str, str]

    @property
    def repo(self) -> Repo:
        repo = self.state.repo(self.params["owner"], self.params["repo"])
        if repo is None:
            raise not_found()
        return repo

    @property
    def actor(self) -> str:
        return self.state.actor

    def field(self, name: str, default: Any = None) -> Any:
        body = self.request.body
        return body.get(name, default) if isinstance(body, dict) else default

    def require(self, name: str, resource: str) -> Any:
        value = self.field(name)
        if value is None:
            raise invalid(resource, name, "missing_field")
        return value

    def number(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise not_found() from None

    def find(self, table: Mapping[int, T], name: str) -> T:
        """The record the path parameter `name` numbers in `table`, or GitHub's 404."""
        found = table.get(self.number(name))
        if found is None:
            raise not_found()
        return found


Handler = Callable[[Ctx], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_length: int
    handler: Handler


ROUTES: list[Route] = []


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    """Register a handler for METHOD + OpenAPI path template ({path}, {ref} and {branch} may contain '/')."""

    def register(handler: Handler) -> Handler:
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>{'.+' if part in GREEDY_PARAMETERS else '[^/]+'})"
            for i, part in enumerate(parts)
        )
        literal = sum(len(part) for i, part in enumerate(parts) if i % 2 == 0)
        ROUTES.append(Route(method, template, re.compile(regex + r"\Z"), literal, handler))
        ROUTES.sort(key=lambda r: -r.literal_length)
        return handler

    return register


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES:
        if candidate.method == method:
            found = candidate.pattern.match(path)
            if found:
                return candidate, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
    return None


def page_numbers(ctx: Ctx) -> tuple[int, int]:
    """(page, per_page) from the query: GitHub's defaults are 1 and 30, per_page at most 100."""
    try:
        page = max(1, int(ctx.request.query.get("page", "1")))
        per_page = min(100, max(1, int(ctx.request.query.get("per_page", "30"))))
    except ValueError:
        raise ApiError(422, "Invalid page or per_page") from None
    return page, per_page


def paginate(ctx: Ctx, items: list[Any], *, wrap: str | None = None) -> Response:
    """One page of `items` plus a `Link` header (first/prev/next/last) of absolute stand-in URLs.

    `wrap` names the key for list endpoints that answer an object (`{"total_count": n, wrap: [...]}`).
    """
    page, per_page = page_numbers(ctx)
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []

    def link(number: int, rel: str) -> str:
        query = dict(ctx.request.query, page=str(number), per_page=str(per_page))
        return f'<{ctx.base}{ctx.request.path}?{urllib.parse.urlencode(query)}>; rel="{rel}"'

    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(min(page - 1, last), "prev")]
    headers = {"Link": ", ".join(links)} if links else {}
    body: Any = chunk if wrap is None else {"total_count": len(items), wrap: chunk}
    return Response(200, body, headers)
