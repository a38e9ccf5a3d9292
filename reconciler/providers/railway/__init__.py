"""Railway adapter: a GraphQL client for Railway's public API, its records and its operation documents.

Use `RailwayClient.from_env()`; records are in `records.py`, errors in `errors.py`.
"""

from reconciler.providers.railway.actions import PollPolicy, RollbackRefused
from reconciler.providers.railway.client import RailwayClient
from reconciler.providers.railway.errors import (
    InvalidRequest,
    NotAuthorized,
    NotFound,
    NoToken,
    OutcomeUnknown,
    RailwayApiError,
    RailwayUnavailable,
)
from reconciler.providers.railway.transport import DEFAULT_ENDPOINT, RetryPolicy

__all__ = [
    "DEFAULT_ENDPOINT",
    "InvalidRequest",
    "NoToken",
    "NotAuthorized",
    "NotFound",
    "OutcomeUnknown",
    "PollPolicy",
    "RailwayApiError",
    "RailwayClient",
    "RailwayUnavailable",
    "RetryPolicy",
    "RollbackRefused",
]
