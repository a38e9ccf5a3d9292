"""The OpenAPI slice that keeps the GitHub stand-in honest: loading, path-template matching, and response schemas.

`openapi-slice.json` is a verbatim copy of `shared/github/openapi-slice.json` (GitHub's REST description via
@octokit/openapi 23.0.2, MIT; see SOURCE.md beside it). A few calls PyGithub makes are not in the slice; `EXTRAS`
describes their responses with the slice's own component schemas so that they are validated too.
OpenAPI 3.0's `nullable: true` is rewritten into plain JSON Schema (a `null` type, or `anyOf [..., null]`) on load.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLICE_PATH = Path(__file__).with_name("openapi-slice.json")

# Path parameters that may contain "/" (file paths, refs like heads/a/b, branch names like reconciler/x).
GREEDY_PARAMETERS = frozenset({"path", "ref", "branch"})


def _json_response(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "stand-in extra", "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_BLOB = {
    "type": "object",
    "required": ["content", "encoding", "url", "sha", "size", "node_id"],
    "properties": {
        "content": {"type": "string"},
        "encoding": {"type": "string"},
        "url": {"type": "string"},
        "sha": {"type": "string"},
        "size": {"type": "integer", "nullable": True},
        "node_id": {"type": "string"},
    },
}
_SHORT_BRANCH = {
    "type": "object",
    "required": ["name", "commit", "protected"],
    "properties": {
        "name": {"type": "string"},
        "commit": {
            "type": "object",
            "required": ["sha", "url"],
            "properties": {"sha": {"type": "string"}, "url": {"type": "string"}},
        },
        "protected": {"type": "boolean"},
    },
}

_WORKFLOW = {
    "type": "object",
    "required": ["id", "node_id", "name", "path", "state", "created_at", "updated_at", "url", "html_url", "badge_url"],
    "properties": {
        "id": {"type": "integer"},
        "node_id": {"type": "string"},
        "name": {"type": "string"},
        "path": {"type": "string"},
        "state": {
            "type": "string",
            "enum": ["active", "deleted", "disabled_fork", "disabled_inactivity", "disabled_manually"],
        },
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "url": {"type": "string"},
        "html_url": {"type": "string"},
        "badge_url": {"type": "string"},
    },
}

# Operations PyGithub uses that the slice lacks, described from GitHub's REST docs with the slice's components.
EXTRAS: dict[str, dict[str, dict[str, Any]]] = {
    "/repos/{owner}/{repo}/labels": {"get": {"200": _json_response({"type": "array", "items": _ref("label")})}},
    "/repos/{owner}/{repo}/issues/{issue_number}/labels": {
        "post": {"200": _json_response({"type": "array", "items": _ref("label")})}
    },
    "/repos/{owner}/{repo}/issues/comments/{comment_id}": {"get": {"200": _json_response(_ref("issue-comment"))}},
    "/repos/{owner}/{repo}/git/blobs/{file_sha}": {"get": {"200": _json_response(_BLOB)}},
    "/repos/{owner}/{repo}/git/trees/{tree_sha}": {"get": {"200": _json_response(_ref("git-tree"))}},
    "/repos/{owner}/{repo}/branches": {"get": {"200": _json_response({"type": "array", "items": _SHORT_BRANCH})}},
    "/repos/{owner}/{repo}/check-runs/{check_run_id}": {"get": {"200": _json_response(_ref("check-run"))}},
    "/repos/{owner}/{repo}/deployments/{deployment_id}": {"get": {"200": _json_response(_ref("deployment"))}},
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}": {"get": {"200": _json_response(_WORKFLOW)}},
}


def _to_json_schema(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 `nullable` into JSON Schema, recursively; everything else is kept as is."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Operation:
    """One (method, path template) of the spec, with a regex that matches request paths."""

    method: str
    template: str
    pattern: re.Pattern[str]
    literal_length: int
    extra: bool


def _compile(template: str) -> tuple[re.Pattern[str], int]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        else:
            regex += f"(?P<{part}>.+)" if part in GREEDY_PARAMETERS else f"(?P<{part}>[^/]+)"
    literal = sum(len(p) for i, p in enumerate(parts) if i % 2 == 0)
    return re.compile(regex + r"\Z"), literal


@dataclass(frozen=True)
class Spec:
    """The loaded slice (as JSON Schema) plus its operations, most specific first."""

    document: dict[str, Any]
    operations: tuple[Operation, ...]

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation whose template matches this request path (literal segments win over parameters)."""
        for operation in self.operations:
            if operation.method != method.lower():
                continue
            found = operation.pattern.match(path)
            if found:
                return operation, found.groupdict()
        return None

    def responses(self, operation: Operation) -> dict[str, Any]:
        responses: dict[str, Any] = self.document["paths"][operation.template][operation.method]["responses"]
        return responses

    def schema(self, name: str) -> dict[str, Any]:
        schema: dict[str, Any] = self.document["components"]["schemas"][name]
        return schema


@functools.cache
def load_spec(path: Path = SLICE_PATH) -> Spec:
    """Load the slice once per process, add the extras, and rewrite it into JSON Schema."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    for template, methods in EXTRAS.items():
        for method, responses in methods.items():
            entry = raw["paths"].setdefault(template, {})
            if method not in entry:
                entry[method] = {"operationId": f"stand-in-extra:{method}:{template}", "responses": responses}
                entry[method]["x-stand-in-extra"] = True
    document = _to_json_schema(raw)
    operations: list[Operation] = []
    for template, methods in document["paths"].items():
        pattern, literal = _compile(template)
        for method, op in methods.items():
            if isinstance(op, dict) and "responses" in op:
                operations.append(Operation(method, template, pattern, literal, bool(op.get("x-stand-in-extra"))))
    operations.sort(key=lambda op: -op.literal_length)
    return Spec(document, tuple(operations))
