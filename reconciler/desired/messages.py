"""Turn pydantic's validation errors into one located, readable problem each, with a "did you mean" for typos.

Messages never echo a value that looks like a credential: values are shown only when short and harmless.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from reconciler.desired.base import KEY, did_you_mean
from reconciler.desired.documents import Document, Loc
from reconciler.desired.secrets import credential_kind
from reconciler.errors import Problem

_WANT = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}
# Field patterns, said in words.
_PATTERNS = {
    "^/": "a path starting with '/'",
    "^[A-Za-z_][A-Za-z0-9_]*$": "a variable name (letters, digits and '_', not starting with a digit)",
    "^[a-z0-9][a-z0-9_-]*$": "a name of lowercase letters, digits, '-' and '_'",
    "^[\\w.-]+/[\\w.-]+$": "a GitHub repository as owner/name",
    "^[0-9a-f]{7,40}$": "a commit SHA (7 to 40 lowercase hex digits)",
    "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$": "an S3 bucket name (3-63 lowercase letters, digits, '.' and '-')",
    "^$|^[^/].*/$": "a key prefix ending with '/' and not starting with one, such as production/",
}


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def show(value: Any) -> str:
    """A short, quoted rendering of a user's value, or a placeholder when it might be a secret or is too long."""
    text = str(value)
    if isinstance(value, str) and credential_kind(value, secret_context=True):
        return "(value hidden)"
    if len(text) > 40:
        return f"'{text[:37]}…'"
    return f"'{text}'"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Optional, unions and Annotated removed)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class found by following `loc` through fields, dict values and list items."""
    current: list[Any] = [root]
    for part in loc:
        following: list[Any] = []
        for kind in current:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                for name, field in kind.model_fields.items():
                    if part in (name, field.alias):
                        following += _unwrap(field.annotation)
            elif typing.get_origin(kind) in (dict, list):
                following += _unwrap(typing.get_args(kind)[-1])
        if following:
            current = following
    models = [kind for kind in current if isinstance(kind, type) and issubclass(kind, BaseModel)]
    return models[0] if models else None


def known_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def message_for(error: ErrorDetails, root: type[BaseModel]) -> tuple[str, bool]:
    """The message for one pydantic error, and whether it should point at the key rather than the value."""
    kind = error["type"]
    loc = error["loc"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    last = str(loc[-1]) if loc else ""
    if kind == "missing":
        return f"missing required key '{last}'", False
    if kind == "extra_forbidden":
        model = model_at(root, loc[:-1])
        shown = "(hidden)" if credential_kind(last, secret_context=True) else f"'{last}'"
        hint = did_you_mean(last, known_keys(model)) if model is not None else ""
        return f"unknown key {shown}{hint}", True
    if kind in _WANT:
        message = f"expected {_WANT[kind]}, got {kind_of(value)}"
        if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
            message += " (put it in quotes: a number such as 1.10 would otherwise be read as 1.1)"
        return message, False
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",")]
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return f"{show(value)} is not one of {expected}{hint}", False
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"{show(value)} is not {_PATTERNS.get(pattern, f'in the form {pattern}')}", False
    if kind in ("too_short", "string_too_short"):
        return "must not be empty", False
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le")}
    if kind in bounds and isinstance(loc[-1], str):
        words, key = bounds[kind]
        return f"{loc[-1]} must be {words} {ctx.get(key)}, not {value}", False
    message = error["msg"]
    for prefix in ("Value error, ", "Input should be "):
        if message.startswith(prefix):
            message = ("must be " if prefix == "Input should be " else "") + message[len(prefix) :]
    return message, False


def problems_for(errors: list[ErrorDetails], document: Document, root: type[BaseModel]) -> list[Problem]:
    """Every problem of one document's validation, each placed at its YAML node."""
    problems: list[Problem] = []
    for error in errors:
        loc = error["loc"]
        ctx = error.get("ctx") or {}
        if error["type"] == "cross_field" and "problems" in ctx:
            for relative, message in ctx["problems"]:
                at_key = bool(relative) and relative[-1] == KEY
                path = (*loc, *relative[:-1]) if at_key else (*loc, *relative)
                problems.append(document.problem(path, message, key=at_key))
            continue
        message, at_key = message_for(error, root)
        problems.append(document.problem(loc, message, key=at_key))
    return problems
