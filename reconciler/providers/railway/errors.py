"""Typed Railway errors, and the translation of a GraphQL `errors` array (HTTP 200) into one of them.

Messages carry the operation name and Railway's own message, truncated, with the token scrubbed: never headers,
variables or request bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import PermanentError, TemporaryError

_MAX_MESSAGE = 300


class RailwayApiError(PermanentError):
    """Railway refused the request; retrying the same request will not help."""

    def __init__(self, operation: str, message: str) -> None:
        super().__init__(f"Railway {operation}: {message}")
        self.operation = operation
        self.railway_message = message


class NotAuthorized(RailwayApiError):
    """The token is missing, wrong, expired, or lacks access to this project or environment."""


class NotFound(RailwayApiError):
    """The project, environment, service or deployment does not exist (or is invisible to this token)."""


class InvalidRequest(RailwayApiError):
    """The document or its variables were rejected (schema validation, bad input)."""


class RailwayUnavailable(TemporaryError):
    """Railway did not answer usefully within the retry bounds (5xx, dropped connections, timeouts, 429)."""


class OutcomeUnknown(TemporaryError):
    """A request that starts new work may or may not have reached Railway; the caller must re-read before retrying."""


class NoToken(PermanentError):
    """Neither RAILWAY_API_TOKEN nor RAILWAY_TOKEN is set."""


_AUTH_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "UNAUTHORIZED"})
_NOT_FOUND_CODES = frozenset({"NOT_FOUND"})
_INVALID_CODES = frozenset({"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT", "BAD_REQUEST"})
_AUTH_WORDS = ("not authorized", "unauthorized", "forbidden", "project token not found", "unauthenticated")
_INVALID_WORDS = ("cannot query field", "unknown argument", 'variable "$', "expected type", "invalid", "syntax error")
_RATE_WORDS = ("rate limit", "too many requests")


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Remove every secret from `text` and truncate it: Railway's messages are echoed into our errors."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def is_rate_limited(errors: Sequence[Mapping[str, Any]]) -> bool:
    return any(any(w in str(e.get("message", "")).lower() for w in _RATE_WORDS) for e in errors)


def from_graphql_errors(operation: str, errors: Sequence[Mapping[str, Any]], secrets: Sequence[str]) -> RailwayApiError:
    """The typed error for a GraphQL `errors` array; the most telling kind wins (auth, not found, invalid)."""
    messages = [str(e.get("message", "")) or "(no message)" for e in errors] or ["(empty errors)"]
    codes = {str((e.get("extensions") or {}).get("code", "")).upper() for e in errors if isinstance(e, Mapping)}
    lowered = " | ".join(messages).lower()  # classified on Railway's words; only the text we keep is scrubbed
    text = scrub("; ".join(messages), secrets)
    if codes & _AUTH_CODES or any(w in lowered for w in _AUTH_WORDS):
        return NotAuthorized(operation, text)
    if codes & _NOT_FOUND_CODES or "not found" in lowered:
        return NotFound(operation, text)
    if codes & _INVALID_CODES or any(w in lowered for w in _INVALID_WORDS):
        return InvalidRequest(operation, text)
    return RailwayApiError(operation, text)
