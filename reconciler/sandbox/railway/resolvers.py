"""The root resolver tables and who is calling: `queries.py` and `mutations.py` fill the tables.

A root resolver is `(emulator, auth, **args)`. Every root field not in a table answers "not implemented by the
emulator: Type.field" (see `execute.py`). A seeded project token only reaches its own project and environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.railway.emulator import ApiError, Emulator


@dataclass(frozen=True)
class Auth:
    """Who is calling: the kind of token (never its value, beyond the project-token lookup key)."""

    kind: str  # "bearer" | "project"
    project_token: str | None = field(default=None, repr=False)


Resolver = Callable[..., Any]
QUERY: dict[str, Resolver] = {}
MUTATION: dict[str, Resolver] = {}


def query(fn: Resolver) -> Resolver:
    QUERY[fn.__name__.removeprefix("q_")] = fn
    return fn


def mutation(fn: Resolver) -> Resolver:
    MUTATION[fn.__name__.removeprefix("m_")] = fn
    return fn


def check_scope(em: Emulator, auth: Auth, field: str, args: dict[str, Any]) -> None:
    """Refuse a seeded project token anything outside its project and environment, as Railway does."""
    scope = em.tokens.get(auth.project_token or "") if auth.kind == "project" else None
    if scope is None:
        return
    project_id, environment_id = scope
    given = args.get("input")
    nested: dict[str, Any] = given if isinstance(given, dict) else {}
    environments = [args.get("environmentId"), nested.get("environmentId")]
    projects = [args.get("projectId"), nested.get("projectId")]
    if field == "environment":
        environments.append(args.get("id"))
    elif field == "project":
        projects.append(args.get("id"))
    elif field.startswith("deployment") and args.get("id") in em.deployments:
        environments.append(em.deployments[args["id"]].environment_id)
    if any(e not in (None, environment_id) for e in environments) or any(p not in (None, project_id) for p in projects):
        raise ApiError("Not Authorized")
