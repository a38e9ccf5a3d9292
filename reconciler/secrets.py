"""Secrets by reference: resolve `{env: NAME}` to its value at the last moment, and mask the value at once.

Desired state and configuration name secrets; only this module reads their values, and every value it reads is
registered with `reconciler.actions.mask` before anything else can print it. Errors name the variable, never a value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler import actions
from reconciler.errors import PermanentError


def reference_name(ref: Any) -> str:
    """The environment variable a reference names: `"NAME"`, `{"env": "NAME"}`, or any object with an `env` field."""
    if isinstance(ref, str):
        name = ref
    elif isinstance(ref, Mapping):
        name = ref.get("env", "")
    else:
        name = getattr(ref, "env", "")
    if not isinstance(name, str) or not name:
        raise PermanentError(f"not a secret reference: expected {{env: NAME}}, got a {type(ref).__name__}")
    return name


def resolve(ref: Any, environ: Mapping[str, str] | None = None) -> str:
    """The value of a secret reference, masked before it is returned. Unset or empty is an error naming the variable."""
    name = reference_name(ref)
    value = (os.environ if environ is None else environ).get(name, "")
    if not value:
        raise PermanentError(f"secret {{env: {name}}} is not set: export {name} (in Actions, from secrets.*)")
    actions.mask(value)
    return value


def resolve_optional(ref: Any, environ: Mapping[str, str] | None = None) -> str | None:
    """Like `resolve`, but None when the variable is unset: for credentials that have an alternative."""
    name = reference_name(ref)
    if not (os.environ if environ is None else environ).get(name):
        return None
    return resolve(name, environ)
