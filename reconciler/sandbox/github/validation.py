"""Validate every response of the GitHub stand-in against the OpenAPI slice, so it cannot drift from GitHub's shapes.

The request's method and path pick the operation by path template (independently of the stand-in's own routing);
the status picks the response schema. Error statuses an operation does not declare (401, 403 secondary rate limit,
5xx faults) must still have GitHub's `basic-error` shape. jsonschema is imported only when validation is on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.github.spec import Spec, load_spec

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used")


@dataclass(frozen=True)
class Violation:
    """One way a response failed to match the slice."""

    method: str
    path: str
    template: str | None
    status: int
    message: str

    def __str__(self) -> str:
        where = self.template or "(no operation)"
        return f"{self.method} {self.path} [{where}] -> {self.status}: {self.message}"


@functools.cache
def _validator(schema_pointer: str) -> Any:
    from jsonschema import Draft4Validator  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    spec = load_spec()
    registry: Registry[Any] = Registry().with_resource(
        "urn:github-slice", Resource.from_contents(spec.document, default_specification=DRAFT4)
    )
    return Draft4Validator({"$ref": f"urn:github-slice#{schema_pointer}"}, registry=registry)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _response_pointer(spec: Spec, template: str, method: str, status: int) -> tuple[str | None, bool]:
    """The JSON pointer of the body schema for this status, and whether the status is declared at all.

    A declared response without a JSON body (204, 304) yields (None, True).
    """
    responses = spec.document["paths"][template][method]["responses"]
    code = str(status)
    if code in responses:
        pointer = f"/paths/{_escape(template)}/{method}/responses/{code}"
        response = responses[code]
        if "$ref" in response:
            pointer = response["$ref"][1:]
            response = spec.document
            for part in pointer.strip("/").split("/"):
                response = response[part.replace("~1", "/").replace("~0", "~")]
        if "application/json" not in response.get("content", {}):
            return None, True
        return f"{pointer}/content/application~1json/schema", True
    if status >= 400:
        return "/components/schemas/basic-error", True
    return None, False


def validate_response(
    method: str, path: str, status: int, headers: dict[str, str], body: Any, *, spec: Spec | None = None
) -> list[Violation]:
    """All the ways this response differs from what the slice says GitHub sends; empty when it matches."""
    spec = spec or load_spec()
    found = spec.match(method, path)
    if found is None:
        return [Violation(method, path, None, status, "no operation in the OpenAPI slice matches this request")]
    operation = found[0]
    problems: list[str] = []
    missing = [name for name in RATE_LIMIT_HEADERS if name not in headers]
    if missing:
        problems.append(f"missing headers {', '.join(missing)}")
    pointer, declared = _response_pointer(spec, operation.template, operation.method, status)
    if not declared:
        problems.append(f"status {status} is not a response of this operation")
    elif pointer is None:
        if body is not None:
            problems.append(f"status {status} has no body in the slice, but one was sent")
    else:
        for error in _validator(pointer).iter_errors(body):
            location = "/".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(f"{location}: {error.message[:300]}")
    return [Violation(method, path, operation.template, status, message) for message in problems]
