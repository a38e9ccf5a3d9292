"""What the GitHub adapter takes and returns: immutable records of our own, and the `GitHubPort` interface.

Nothing here mentions PyGithub; callers (plan, drift, apply, maintenance) depend on these types only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

# GitHub rejects issue and comment bodies over 65,536 characters.
BODY_LIMIT = 65_536

Action = Literal["created", "updated", "unchanged", "reopened", "closed", "absent"]
CommitState = Literal["error", "failure", "pending", "success"]
DeploymentState = Literal["error", "failure", "inactive", "in_progress", "queued", "pending", "success"]
CloseReason = Literal["completed", "not_planned"]


def marker(key: str) -> str:
    """The hidden HTML comment that identifies our comment, issue or PR body across runs."""
    return f"<!-- reconciler:{key} -->"


def key_of(body: str | None) -> str | None:
    """The key of the marker a body we wrote starts with (the inverse of `marker`), or None."""
    head = (body or "").split("\n", 1)[0].strip()
    if head.startswith("<!-- reconciler:") and head.endswith(" -->"):
        return head[len("<!-- reconciler:") : -len(" -->")] or None
    return None


def blob_sha(content: bytes) -> str:
    """The git blob id of `content`, as `git hash-object` prints it: what GitHub reports as a file's sha."""
    return hashlib.sha1(f"blob {len(content)}\0".encode() + content, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What an idempotent write did, and where the result lives."""

    action: Action
    number: int | None = None  # issue / PR number; comment id for comments
    url: str | None = None  # the html_url a person opens


@dataclass(frozen=True)
class IssueReport:
    """A condition that should have exactly one open issue while it lasts (drift, incident, a maintenance period).

    `key` is the identity (`drift:production`), written as a hidden marker; `label` is what issues are listed by.
    """

    key: str
    label: str
    title: str
    body: str
    labels: tuple[str, ...] = ()  # extra labels beside `label`


@dataclass(frozen=True)
class IssueRef:
    """An open issue found by label and marker."""

    number: int
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class OpenItem:
    """An open issue or pull request carrying a label, as one listing returns it.

    `key` is the identity in our hidden marker (`drift:production`, `pr:reconciler/adopt-drift-production`) when the
    reconciler wrote the body, else None: a person's issue with the same label.
    """

    number: int
    title: str
    body: str
    url: str
    is_pull: bool
    key: str | None = None


@dataclass(frozen=True)
class ClosedPull:
    """What closing a pull request did, and what became of its branch."""

    action: Action  # "closed", or "absent" when it was already closed or merged
    number: int
    url: str | None
    branch: str
    branch_deleted: bool
    kept_because: str | None = None  # why the branch was left in place, when it was


@dataclass(frozen=True)
class FileChange:
    """One file edit in a proposed commit.

    `previous` is the content the edit was computed from (None: the file must not exist yet). If the base branch
    no longer holds exactly that, the proposal fails as stale instead of overwriting someone's change.
    `content` None deletes the file.
    """

    path: str
    content: bytes | None
    previous: bytes | None


@dataclass(frozen=True)
class ChangeProposal:
    """A branch with one commit on top of `base`, and the pull request that proposes it."""

    branch: str  # e.g. reconciler/drift-production; the reconciler owns branches it creates
    title: str
    body: str
    message: str  # the commit message
    files: tuple[FileChange, ...]
    base: str = "main"
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class PullRef:
    """A pull request the reconciler opened or updated."""

    action: Action
    number: int
    url: str
    head_sha: str


@dataclass(frozen=True)
class DeploymentRef:
    id: int
    environment: str
    ref: str
    sha: str


@dataclass(frozen=True)
class WorkflowRun:
    """One run of a workflow, enough for a watchdog to tell whether scheduled runs happen and succeed."""

    id: int
    event: str
    status: str  # queued, in_progress, completed, …
    conclusion: str | None  # success, failure, cancelled, … (None while running)
    created_at: str  # ISO 8601
    head_sha: str
    url: str


@dataclass(frozen=True)
class RateLimit:
    """The primary rate limit as the last response's headers reported it (no extra request)."""

    remaining: int | None
    limit: int | None
    reset: int | None = None  # epoch seconds


@dataclass(frozen=True)
class CheckOutput:
    title: str
    summary: str
    text: str | None = None
    annotations: Sequence[Mapping[str, object]] = field(default_factory=tuple)


class GitHubPort(Protocol):
    """The narrow interface the reconciler uses. Every write is idempotent: looked up first, then made."""

    repository: str

    def sticky_comment(self, number: int, body: str, *, key: str = "plan", overflow_url: str | None = None) -> Outcome:
        """Create or edit our one comment (found by marker) on issue/PR `number`; unchanged text sends no write."""
        ...

    def find_issue(self, label: str, key: str) -> IssueRef | None:
        """The open issue with `label` whose body carries `key`'s marker. One request when there are < 100."""
        ...

    def report_issue(self, report: IssueReport) -> Outcome:
        """The condition holds: open (or reopen) its issue, or update the body if the text changed."""
        ...

    def resolve_issue(self, label: str, key: str, comment: str, *, reason: CloseReason = "completed") -> Outcome:
        """The condition cleared: comment and close its open issue with `reason`; `absent` if none was open."""
        ...

    def list_open(self, label: str) -> tuple[OpenItem, ...]:
        """Every open issue AND pull request with `label`, most recently updated first. One request when < 100.

        One listing answers, for every environment at once, which drift issue and which adopt PR are open.
        """
        ...

    def ensure_labels(self, names: Sequence[str]) -> None: ...

    def propose_change(self, proposal: ChangeProposal) -> PullRef:
        """Commit the files on the proposal's branch and open its PR, or update the PR already open."""
        ...

    def find_pull(self, branch: str, base: str = "main") -> PullRef | None:
        """The open PR from our `branch` into `base` (looked up as owner:branch), if any. One request."""
        ...

    def pull_request_files(self, number: int) -> tuple[str, ...]: ...

    def close_pull(self, number: int, comment: str, *, delete_branch: bool = True) -> ClosedPull:
        """Comment on and close an open pull request; then delete its branch when `delete_branch` and the branch
        holds only the reconciler's commits (a person's commits on it are never thrown away). Already closed or
        merged: `absent`, nothing written."""
        ...

    def create_deployment(
        self, environment: str, ref: str, *, description: str = "", production: bool = False
    ) -> DeploymentRef: ...

    def set_deployment_status(
        self,
        deployment: DeploymentRef,
        state: DeploymentState,
        *,
        description: str = "",
        log_url: str | None = None,
        environment_url: str | None = None,
    ) -> None: ...

    def latest_deployment(self, environment: str) -> DeploymentRef | None: ...

    def set_commit_status(
        self, sha: str, state: CommitState, context: str, description: str, target_url: str | None = None
    ) -> None: ...

    def create_check_run(self, sha: str, name: str, conclusion: str, output: CheckOutput) -> int: ...

    def workflow_runs(self, workflow: str, *, event: str | None = None, limit: int = 30) -> tuple[WorkflowRun, ...]: ...

    def rate_limit(self) -> RateLimit: ...
