"""GitHub stand-in route for issue search, with an optional index lag (`State.search_lag`) like GitHub's.

Understands the qualifiers the reconciler could plausibly send: `repo:`, `is:issue|pr|open|closed`, `state:`,
`label:`, `author:`, `in:title|body`, plus free-text terms (quoted or not) that must all appear.
New issues become searchable only `search_lag` seconds after creation, which is why de-duplication must use the
issue list endpoint instead.
"""

from __future__ import annotations

import shlex
import time
from typing import Any

from reconciler.sandbox.github import bodies
from reconciler.sandbox.github.routing import ApiError, Ctx, Response, paginate, route
from reconciler.sandbox.github.skeleton import complete
from reconciler.sandbox.github.state import Issue, Repo


def _matches(item: Issue, qualifiers: dict[str, list[str]], terms: list[str]) -> bool:
    kinds = qualifiers.get("is", []) + qualifiers.get("type", [])
    if ("issue" in kinds and item.is_pull) or ("pr" in kinds and not item.is_pull):
        return False
    states = [k for k in kinds + qualifiers.get("state", []) if k in ("open", "closed")]
    if states and item.state not in states:
        return False
    labels = {name.lower() for name in item.labels}
    if any(label.lower() not in labels for label in qualifiers.get("label", [])):
        return False
    if any(author.lower() != item.user.lower() for author in qualifiers.get("author", [])):
        return False
    where = qualifiers.get("in", ["title", "body"])
    text = " ".join(
        value for field_name, value in (("title", item.title), ("body", item.body or "")) if field_name in where
    ).lower()
    return all(term.lower() in text for term in terms)


@route("GET", "/search/issues")
def search_issues(ctx: Ctx) -> Response:
    query = ctx.request.query.get("q", "")
    if not query.strip():
        raise ApiError(422, "Validation Failed", [{"resource": "Search", "field": "q", "code": "missing"}])
    try:
        words = shlex.split(query)
    except ValueError:
        raise ApiError(422, "Validation Failed", [{"resource": "Search", "field": "q", "code": "invalid"}]) from None
    qualifiers: dict[str, list[str]] = {}
    terms: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        if sep and key in ("repo", "is", "type", "state", "label", "author", "in"):
            qualifiers.setdefault(key, []).append(value)
        else:
            terms.append(word)
    repos: list[Repo] = []
    for name in qualifiers.get("repo", []):
        owner, _, repo_name = name.partition("/")
        found = ctx.state.repo(owner, repo_name)
        if found is not None:
            repos.append(found)
    if not qualifiers.get("repo"):
        repos = list(ctx.state.repos.values())
    horizon = time.monotonic() - ctx.state.search_lag
    items: list[dict[str, Any]] = []
    for repo in repos:
        for item in sorted(repo.issues.values(), key=lambda issue: issue.number, reverse=True):
            if item.indexed_at <= horizon and _matches(item, qualifiers, terms):
                body = bodies.issue(ctx.base, repo, item)
                if body["body"] is None:
                    del body["body"]  # the slice types a search hit's body as a string; it is optional
                items.append(complete("issue-search-result-item", {**body, "score": 1.0}, body["url"]))
    response = paginate(ctx, items, wrap="items")
    response.body["incomplete_results"] = False
    response.body["search_type"] = "lexical"
    return response
