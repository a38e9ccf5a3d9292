"""GitHub stand-in routes for labels, issues and issue comments (pull requests appear in the issue list, as on GitHub).

List filters follow GitHub's: `state` (open by default), `labels` (all of them, comma-separated), `creator`,
`assignee`, `since`; newest first unless `direction=asc`.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.sandbox.github import bodies
from reconciler.sandbox.github.routing import ApiError, Ctx, Response, invalid, not_found, paginate, route
from reconciler.sandbox.github.state import Comment, Issue, Label, Repo, now

STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")


@route("GET", "/repos/{owner}/{repo}/labels")
def list_labels(ctx: Ctx) -> Response:
    repo = ctx.repo
    return paginate(ctx, [bodies.label(ctx.base, repo, item) for item in repo.labels.values()])


@route("POST", "/repos/{owner}/{repo}/labels")
def create_label(ctx: Ctx) -> Response:
    repo = ctx.repo
    name = str(ctx.require("name", "Label"))
    color = str(ctx.field("color") or "ededed").removeprefix("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
        raise invalid("Label", "color")
    if name.lower() in repo.labels:
        raise invalid("Label", "name", "already_exists")
    item = Label(ctx.state.next_id(), name, color.lower(), ctx.field("description"))
    repo.labels[name.lower()] = item
    return Response(201, bodies.label(ctx.base, repo, item))


@route("GET", "/repos/{owner}/{repo}/labels/{name}")
def get_label(ctx: Ctx) -> Response:
    repo = ctx.repo
    item = repo.labels.get(ctx.params["name"].lower())
    if item is None:
        raise not_found()
    return Response(200, bodies.label(ctx.base, repo, item))


def _issue(ctx: Ctx, repo: Repo) -> Issue:
    return ctx.find(repo.issues, "issue_number")


def _names(value: Any, resource: str, field_name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(resource, field_name)
    return [str(v["name"] if isinstance(v, dict) else v) for v in value]


def _matches(ctx: Ctx, item: Issue) -> bool:
    query = ctx.request.query
    state = query.get("state", "open")
    if state != "all" and item.state != state:
        return False
    wanted = [name.strip().lower() for name in query.get("labels", "").split(",") if name.strip()]
    if not set(wanted) <= {name.lower() for name in item.labels}:
        return False
    if "creator" in query and item.user.lower() != query["creator"].lower():
        return False
    assignee = query.get("assignee")
    if assignee == "none" and item.assignees or assignee not in (None, "*", "none") and assignee not in item.assignees:
        return False
    return "since" not in query or item.updated_at >= query["since"]


@route("GET", "/repos/{owner}/{repo}/issues")
def list_issues(ctx: Ctx) -> Response:
    repo = ctx.repo
    state = ctx.request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise invalid("Issue", "state")
    sort = ctx.request.query.get("sort", "created")
    key = {"created": "created_at", "updated": "updated_at"}.get(sort, "created_at")
    found = [item for item in repo.issues.values() if _matches(ctx, item)]
    found.sort(key=lambda item: (getattr(item, key), item.number), reverse=ctx.request.query.get("direction") != "asc")
    return paginate(ctx, [bodies.issue(ctx.base, repo, item) for item in found])


@route("POST", "/repos/{owner}/{repo}/issues")
def create_issue(ctx: Ctx) -> Response:
    repo = ctx.repo
    title = ctx.require("title", "Issue")
    stamp = now()
    item = Issue(
        id=ctx.state.next_id(),
        number=repo.next_number(),
        title=str(title),
        body=ctx.field("body"),
        user=ctx.actor,
        created_at=stamp,
        updated_at=stamp,
        labels=[repo.ensure_label(name).name for name in _names(ctx.field("labels"), "Issue", "labels")],
        assignees=_names(ctx.field("assignees"), "Issue", "assignees"),
    )
    repo.issues[item.number] = item
    return Response(201, bodies.issue(ctx.base, repo, item))


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}")
def get_issue(ctx: Ctx) -> Response:
    repo = ctx.repo
    return Response(200, bodies.issue(ctx.base, repo, _issue(ctx, repo)))


def edit_issue(ctx: Ctx, repo: Repo, item: Issue) -> None:
    """Apply an issue PATCH (title, body, state, state_reason, labels, assignees); shared with pull requests."""
    if ctx.field("title") is not None:
        item.title = str(ctx.field("title"))
    if isinstance(ctx.request.body, dict) and "body" in ctx.request.body:
        item.body = ctx.field("body")
    reason = ctx.field("state_reason")
    if reason is not None and reason not in STATE_REASONS:
        raise invalid("Issue", "state_reason")
    state = ctx.field("state")
    if state is not None:
        if state not in ("open", "closed"):
            raise invalid("Issue", "state")
        if state == "closed" and item.state != "closed":
            item.state, item.closed_at, item.state_reason = "closed", now(), reason or "completed"
        elif state == "open" and item.state != "open":
            item.state, item.closed_at, item.state_reason = "open", None, "reopened"
        elif reason is not None:
            item.state_reason = reason
    if ctx.field("labels") is not None:
        item.labels = [repo.ensure_label(name).name for name in _names(ctx.field("labels"), "Issue", "labels")]
    if ctx.field("assignees") is not None:
        item.assignees = _names(ctx.field("assignees"), "Issue", "assignees")
    item.updated_at = now()


@route("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}")
def update_issue(ctx: Ctx) -> Response:
    repo = ctx.repo
    item = _issue(ctx, repo)
    edit_issue(ctx, repo, item)
    return Response(200, bodies.issue(ctx.base, repo, item))


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
def add_labels(ctx: Ctx) -> Response:
    repo = ctx.repo
    item = _issue(ctx, repo)
    given = ctx.request.body if isinstance(ctx.request.body, list) else ctx.field("labels")
    for name in _names(given, "Label", "labels"):
        if name.lower() not in {existing.lower() for existing in item.labels}:
            item.labels.append(repo.ensure_label(name).name)
    item.updated_at = now()
    return Response(200, [bodies.label(ctx.base, repo, repo.ensure_label(name)) for name in item.labels])


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def list_comments(ctx: Ctx) -> Response:
    repo = ctx.repo
    number = _issue(ctx, repo).number
    since = ctx.request.query.get("since", "")
    found = [c for c in repo.comments.values() if c.issue_number == number and c.updated_at >= since]
    return paginate(ctx, [bodies.comment(ctx.base, repo, c) for c in sorted(found, key=lambda c: c.id)])


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def create_comment(ctx: Ctx) -> Response:
    repo = ctx.repo
    item = _issue(ctx, repo)
    text = ctx.require("body", "IssueComment")
    stamp = now()
    created = Comment(ctx.state.next_id(), item.number, str(text), ctx.actor, stamp, stamp)
    repo.comments[created.id] = created
    item.updated_at = stamp
    return Response(201, bodies.comment(ctx.base, repo, created))


def _comment(ctx: Ctx, repo: Repo) -> Comment:
    return ctx.find(repo.comments, "comment_id")


@route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def get_comment(ctx: Ctx) -> Response:
    repo = ctx.repo
    return Response(200, bodies.comment(ctx.base, repo, _comment(ctx, repo)))


@route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def update_comment(ctx: Ctx) -> Response:
    repo = ctx.repo
    found = _comment(ctx, repo)
    text = ctx.field("body")
    if text is None:
        raise ApiError(422, "Validation Failed", [{"resource": "IssueComment", "field": "body", "code": "missing"}])
    found.body, found.updated_at = str(text), now()
    return Response(200, bodies.comment(ctx.base, repo, found))
