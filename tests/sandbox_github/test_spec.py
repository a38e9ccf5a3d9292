"""The OpenAPI slice: path-template matching, the nullable rewrite, and the bundled copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.github.spec import SLICE_PATH, load_spec
from reconciler.sandbox.github.validation import validate_response

SHARED_SLICE = Path(__file__).resolve().parents[3] / "shared" / "github" / "openapi-slice.json"
HEADERS = {
    name: "1" for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used")
}


@pytest.mark.parametrize(
    ("method", "path", "template", "params"),
    [
        (
            "GET",
            "/repos/o/r/contents/desired-state/prod.yaml",
            "/repos/{owner}/{repo}/contents/{path}",
            {"owner": "o", "repo": "r", "path": "desired-state/prod.yaml"},
        ),
        (
            "GET",
            "/repos/o/r/git/ref/heads/reconciler/bump",
            "/repos/{owner}/{repo}/git/ref/{ref}",
            {"owner": "o", "repo": "r", "ref": "heads/reconciler/bump"},
        ),
        (
            "PATCH",
            "/repos/o/r/git/refs/heads/a/b",
            "/repos/{owner}/{repo}/git/refs/{ref}",
            {"owner": "o", "repo": "r", "ref": "heads/a/b"},
        ),
        (
            "GET",
            "/repos/o/r/branches/reconciler/x",
            "/repos/{owner}/{repo}/branches/{branch}",
            {"owner": "o", "repo": "r", "branch": "reconciler/x"},
        ),
        (
            "PATCH",
            "/repos/o/r/issues/comments/5",
            "/repos/{owner}/{repo}/issues/comments/{comment_id}",
            {"owner": "o", "repo": "r", "comment_id": "5"},
        ),
        (
            "GET",
            "/repos/o/r/issues/5/comments",
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            {"owner": "o", "repo": "r", "issue_number": "5"},
        ),
    ],
)
def test_request_paths_match_their_operation(method: str, path: str, template: str, params: dict[str, str]) -> None:
    found = load_spec().match(method, path)
    assert found is not None
    assert (found[0].template, found[1]) == (template, params)


def test_nullable_fields_accept_null_and_their_type_only() -> None:
    label = {"id": 1, "node_id": "L", "url": "u", "name": "n", "color": "c", "default": False}
    assert validate_response("GET", "/repos/o/r/labels/n", 200, HEADERS, {**label, "description": None}) == []
    [violation] = validate_response("GET", "/repos/o/r/labels/n", 200, HEADERS, {**label, "description": 3})
    assert violation.message == "description: 3 is not of type 'string', 'null'"


def test_an_undeclared_success_status_and_missing_headers_are_violations() -> None:
    problems = [v.message for v in validate_response("GET", "/rate_limit", 201, {}, {})]
    assert problems == [
        "missing headers X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Used",
        "status 201 is not a response of this operation",
    ]


@pytest.mark.skipif(not SHARED_SLICE.exists(), reason="the team's shared reference data is not beside this checkout")
def test_the_bundled_slice_is_the_shared_contract() -> None:
    assert SLICE_PATH.read_bytes() == SHARED_SLICE.read_bytes()
