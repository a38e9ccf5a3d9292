"""A stateful stand-in for GitHub's REST API on loopback, for PyGithub's `base_url`: the sandbox's GitHub and the
test bed of the GitHub provider. `GitHubStandIn` is the server; `serve` runs one until told to stop."""

from __future__ import annotations

from reconciler.sandbox.github.faults import (
    Fault,
    Faults,
    duplicate_pull_request,
    primary_rate_limit,
    secondary_rate_limit,
    server_error,
    stale_sha,
    too_many_requests,
)
from reconciler.sandbox.github.server import GitHubStandIn, RequestRecord
from reconciler.sandbox.github.standalone import load_seed_dir, serve
from reconciler.sandbox.github.state import Repo, State
from reconciler.sandbox.github.validation import Violation

__all__ = [
    "Fault",
    "Faults",
    "GitHubStandIn",
    "Repo",
    "RequestRecord",
    "State",
    "Violation",
    "duplicate_pull_request",
    "load_seed_dir",
    "primary_rate_limit",
    "secondary_rate_limit",
    "serve",
    "server_error",
    "stale_sha",
    "too_many_requests",
]
