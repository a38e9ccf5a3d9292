"""The GitHub stand-in's in-memory world: repositories with git objects, refs, labels, issues, pulls and records.

This is real, mutable emulator state (hence classes); every request handler runs under `State.lock`.
Tests and the sandbox seed it directly from Python (`State.add_repo`, `Repo.commit_files`, `Repo.add_workflow_run`)
and read it back to assert on what the reconciler did.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.sandbox.github.git import FILE_MODE, Commit, ObjectStore, Person

DEFAULT_ACTOR = "sandbox-bot"


def now() -> str:
    """The current time as GitHub writes it (seconds, UTC, `Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Label:
    id: int
    name: str
    color: str
    description: str | None


@dataclass
class Issue:
    """An issue, or the issue half of a pull request (they share numbers, titles, bodies, labels and comments)."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: str
    updated_at: str
    state: str = "open"
    state_reason: str | None = None
    closed_at: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    is_pull: bool = False
    # When the search index learns of the issue's latest write (see State.search_lag).
    indexed_at: float = field(default_factory=time.monotonic)


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass
class Pull:
    """The pull-request half: which branches it joins. Title, body, state and labels live in its `Issue`."""

    id: int
    number: int
    head: str
    base: str
    head_sha: str
    draft: bool = False
    maintainer_can_modify: bool = False


@dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: str


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    started_at: str | None
    completed_at: str | None
    external_id: str | None
    details_url: str | None
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class Deployment:
    id: int
    sha: str
    ref: str
    task: str
    environment: str
    description: str | None
    payload: dict[str, Any] | str
    creator: str
    created_at: str
    updated_at: str
    transient_environment: bool = False
    production_environment: bool = False


@dataclass
class DeploymentStatus:
    id: int
    deployment_id: int
    state: str
    description: str
    environment: str
    target_url: str
    log_url: str
    environment_url: str
    creator: str
    created_at: str


@dataclass
class WorkflowRun:
    id: int
    workflow_id: int
    workflow_path: str
    name: str
    run_number: int
    event: str
    status: str
    conclusion: str | None
    head_branch: str
    head_sha: str
    created_at: str
    updated_at: str


class Repo:
    """One repository: its git objects and refs, plus its issues, pulls, comments, labels and records."""

    def __init__(self, state: State, owner: str, name: str, *, default_branch: str, private: bool) -> None:
        self.state = state
        self.owner = owner
        self.name = name
        self.id = state.next_id()
        self.default_branch = default_branch
        self.private = private
        self.created_at = now()
        self.git = ObjectStore()
        self.refs: dict[str, str] = {}
        self.labels: dict[str, Label] = {}
        self.issues: dict[int, Issue] = {}
        self.pulls: dict[int, Pull] = {}
        self.comments: dict[int, Comment] = {}
        self.statuses: list[Status] = []
        self.check_runs: dict[int, CheckRun] = {}
        self.deployments: dict[int, Deployment] = {}
        self.deployment_statuses: dict[int, list[DeploymentStatus]] = {}
        self.workflows: dict[str, int] = {}  # file name -> workflow id
        self.workflow_runs: list[WorkflowRun] = []
        self._numbers = itertools.count(1)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def next_number(self) -> int:
        """Issues and pull requests share one sequence of numbers, as on GitHub."""
        return next(self._numbers)

    def branch_sha(self, branch: str) -> str | None:
        return self.refs.get(f"refs/heads/{branch}")

    def resolve(self, ref: str) -> str | None:
        """A commit sha for a branch name, `heads/x`, `refs/heads/x`, a tag, or a (full) commit sha."""
        for candidate in (ref, f"refs/{ref}", f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if candidate in self.refs:
                return self.refs[candidate]
        return ref if ref in self.git.commits else None

    def files(self, ref: str | None = None) -> dict[str, bytes]:
        """Every file's content at a branch or commit (the default branch when not given)."""
        sha = self.resolve(ref or self.default_branch)
        if sha is None:
            raise KeyError(f"no such ref: {ref}")
        return self.git.files_of(sha)

    def commit_files(
        self,
        files: Mapping[str, str | bytes | None],
        *,
        branch: str | None = None,
        message: str = "Update files",
        author: str | None = None,
    ) -> Commit:
        """Commit file changes (None deletes a file) on top of a branch, creating it from the default branch if new."""
        branch = branch or self.default_branch
        parent = self.branch_sha(branch) or self.branch_sha(self.default_branch)
        current = self.git.flatten(self.git.commits[parent].tree) if parent else {}
        for path, content in files.items():
            if content is None:
                current.pop(path, None)
            else:
                data = content.encode() if isinstance(content, str) else content
                current[path] = (FILE_MODE, self.git.add_blob(data))
        person = Person(author or self.state.actor, f"{author or self.state.actor}@users.noreply.github.com", now())
        commit = self.git.add_commit(self.git.write_tree(current), (parent,) if parent else (), message, person, person)
        self.refs[f"refs/heads/{branch}"] = commit.sha
        return commit

    def workflow_id(self, workflow: str) -> int:
        """The id of a workflow by file name (e.g. `drift.yml`), registering it on first use."""
        if workflow not in self.workflows:
            self.workflows[workflow] = self.state.next_id()
        return self.workflows[workflow]

    def add_workflow_run(
        self,
        workflow: str,
        *,
        event: str = "schedule",
        status: str = "completed",
        conclusion: str | None = "success",
        created_at: str | None = None,
        head_branch: str | None = None,
    ) -> WorkflowRun:
        """Seed one run of a workflow (by file name), e.g. to show that a scheduled run happened or was missed."""
        branch = head_branch or self.default_branch
        stamp = created_at or now()
        workflow_id = self.workflow_id(workflow)
        number = 1 + sum(1 for run in self.workflow_runs if run.workflow_id == workflow_id)
        run = WorkflowRun(
            self.state.next_id(),
            workflow_id,
            f".github/workflows/{workflow}",
            workflow.rsplit(".", 1)[0],
            number,
            event,
            status,
            conclusion,
            branch,
            self.branch_sha(branch) or "0" * 40,
            stamp,
            stamp,
        )
        self.workflow_runs.append(run)
        return run

    def ensure_label(self, name: str) -> Label:
        """A label by name (case-insensitive), created with GitHub's default grey when missing."""
        key = name.lower()
        if key not in self.labels:
            self.labels[key] = Label(self.state.next_id(), name, "ededed", None)
        return self.labels[key]


class State:
    """Every repository of the stand-in, the id sequence, the acting user, and the lock requests run under."""

    def __init__(self, actor: str = DEFAULT_ACTOR) -> None:
        self.lock = threading.RLock()
        self.actor = actor
        self.repos: dict[str, Repo] = {}
        self._ids = itertools.count(1001)
        self.rate_limit = 5000
        # Seconds before a new or edited issue shows in /search/issues: GitHub's index lags writes.
        self.search_lag = 0.0
        self.rate_used = 0
        self.rate_reset = int(time.time()) + 3600

    def spend(self, requests: int = 1) -> tuple[int, int, int, int]:
        """Count requests against the primary limit; (limit, remaining, reset epoch, used) as the headers say."""
        moment = int(time.time())
        if moment >= self.rate_reset:
            self.rate_used, self.rate_reset = 0, moment + 3600
        self.rate_used += requests
        return self.rate_limit, max(0, self.rate_limit - self.rate_used), self.rate_reset, self.rate_used

    def next_id(self) -> int:
        return next(self._ids)

    def add_repo(
        self,
        full_name: str,
        files: Mapping[str, str | bytes] | None = None,
        *,
        default_branch: str = "main",
        private: bool = False,
    ) -> Repo:
        """Create a repository whose default branch holds `files` ({path: content}) in one initial commit."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be OWNER/NAME, got {full_name!r}")
        with self.lock:
            repo = Repo(self, owner, name, default_branch=default_branch, private=private)
            self.repos[full_name.lower()] = repo
            repo.commit_files(dict(files or {}), message="Initial commit")
            return repo

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())
