"""The GitHub adapter: PyGithub behind `GitHubPort`, a narrow interface of our own.

Use `connect(settings_from_env())` to get a `GitHubRepo`; everything it takes and returns is a record from
`records`, and everything it raises is a `reconciler.errors.ProviderError`. PyGithub's types stay inside this package.
"""

from __future__ import annotations

from reconciler.providers.github.client import GitHubRepo, GitHubSettings, connect, settings_from_env
from reconciler.providers.github.errors import Conflict, StaleBase
from reconciler.providers.github.records import (
    BODY_LIMIT,
    ChangeProposal,
    CheckOutput,
    ClosedPull,
    DeploymentRef,
    FileChange,
    GitHubPort,
    IssueRef,
    IssueReport,
    OpenItem,
    Outcome,
    PullRef,
    RateLimit,
    WorkflowRun,
    blob_sha,
    key_of,
    marker,
)

__all__ = [
    "BODY_LIMIT",
    "ChangeProposal",
    "CheckOutput",
    "ClosedPull",
    "Conflict",
    "DeploymentRef",
    "FileChange",
    "GitHubPort",
    "GitHubRepo",
    "GitHubSettings",
    "IssueRef",
    "IssueReport",
    "OpenItem",
    "Outcome",
    "PullRef",
    "RateLimit",
    "StaleBase",
    "WorkflowRun",
    "blob_sha",
    "connect",
    "key_of",
    "marker",
    "settings_from_env",
]
