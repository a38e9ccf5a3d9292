"""Connecting to GitHub (a token or a GitHub App installation) and `GitHubRepo`, the adapter behind `GitHubPort`.

The PyGithub client is lazy: building it and naming the repository send nothing, so a run pays only for the
calls it makes. Credentials are read by reference through `reconciler.secrets`, which masks them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler import secrets
from reconciler.errors import PermanentError
from reconciler.providers.github import audit, issues, pulls
from reconciler.providers.github.errors import WriteSafeRetry, call
from reconciler.providers.github.records import (
    ChangeProposal,
    CheckOutput,
    ClosedPull,
    CloseReason,
    CommitState,
    DeploymentRef,
    DeploymentState,
    GitHubPort,
    IssueRef,
    IssueReport,
    OpenItem,
    Outcome,
    PullRef,
    RateLimit,
    WorkflowRun,
)

PUBLIC_API = "https://api.github.com"


@dataclass(frozen=True)
class GitHubSettings:
    """Where and how to reach GitHub. Credentials are named by environment variable, never held here."""

    repository: str  # owner/name
    base_url: str = PUBLIC_API
    token_env: str = "GITHUB_TOKEN"
    app_id_env: str = "GITHUB_APP_ID"
    app_key_env: str = "GITHUB_APP_PRIVATE_KEY"
    installation_env: str = "GITHUB_APP_INSTALLATION_ID"
    per_page: int = 100  # one page answers "is there an open drift issue?" for any sane repository
    timeout: float = 15.0
    retries: int = 5
    backoff: float = 1.0
    max_wait: float = 300.0  # longest single rate-limit wait before giving up with a TemporaryError
    request_gap: float | None = 0.25  # GitHub asks for serial requests, writes at least a second apart
    write_gap: float | None = 1.0

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]


def settings_from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> GitHubSettings:
    """Settings for this run: the repository from GITHUB_REPOSITORY, the API from GITHUB_API_URL (Actions sets both)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {
        "repository": env.get("GITHUB_REPOSITORY", ""),
        "base_url": env.get("GITHUB_API_URL") or PUBLIC_API,
    }
    values.update(overrides)
    if "/" not in values["repository"]:
        raise PermanentError("GitHub repository unknown: set GITHUB_REPOSITORY=owner/name (Actions sets it)")
    return GitHubSettings(**values)


def _auth(settings: GitHubSettings, environ: Mapping[str, str] | None) -> Any:
    """A PyGithub auth object. An App, when configured, wins over GITHUB_TOKEN: its PRs trigger workflows."""
    from github import Auth, GithubIntegration

    app_id = secrets.resolve_optional(settings.app_id_env, environ)
    if app_id is not None:
        key = secrets.resolve(settings.app_key_env, environ)
        app = Auth.AppAuth(int(app_id), key)
        installation = secrets.resolve_optional(settings.installation_env, environ)
        if installation is None:
            owner, name = settings.repository.split("/", 1)
            integration = GithubIntegration(auth=app, base_url=settings.base_url)
            found = call("finding the App's installation", lambda: integration.get_repo_installation(owner, name))
            installation = str(found.id)
        return app.get_installation_auth(int(installation))
    token = secrets.resolve_optional(settings.token_env, environ)
    if token is None:
        raise PermanentError(
            f"no GitHub credentials: set {settings.token_env}, or {settings.app_id_env} and {settings.app_key_env}"
        )
    return Auth.Token(token)


def connect(settings: GitHubSettings, environ: Mapping[str, str] | None = None) -> GitHubRepo:
    """A `GitHubRepo` for the settings' repository. Sends no request (except an App's installation lookup)."""
    from github import Github

    retry = WriteSafeRetry(max_wait=settings.max_wait, total=settings.retries, backoff_factor=settings.backoff)
    client = Github(
        auth=_auth(settings, environ),
        base_url=settings.base_url,
        timeout=int(settings.timeout),
        per_page=settings.per_page,
        retry=retry,
        seconds_between_requests=settings.request_gap,
        seconds_between_writes=settings.write_gap,
        lazy=True,
        user_agent="reconciler",
    )
    return GitHubRepo(client, settings)


class GitHubRepo:
    """The GitHub adapter for one repository; implements `GitHubPort`. Holds the HTTP client: close it when done."""

    def __init__(self, client: Any, settings: GitHubSettings) -> None:
        self._client = client
        self._repo = client.get_repo(settings.repository)  # lazy: no request
        self._owner = settings.owner
        self.repository = settings.repository

    def __repr__(self) -> str:  # never the client: its auth holds the token
        return f"GitHubRepo({self.repository!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GitHubRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # comments and issues

    def sticky_comment(self, number: int, body: str, *, key: str = "plan", overflow_url: str | None = None) -> Outcome:
        return issues.sticky_comment(self._repo, number, body, key, overflow_url)

    def find_issue(self, label: str, key: str) -> IssueRef | None:
        return issues.find_issue(self._repo, label, key)

    def report_issue(self, report: IssueReport) -> Outcome:
        return issues.report_issue(self._repo, report)

    def resolve_issue(self, label: str, key: str, comment: str, *, reason: CloseReason = "completed") -> Outcome:
        return issues.resolve_issue(self._repo, label, key, comment, reason)

    def list_open(self, label: str) -> tuple[OpenItem, ...]:
        return issues.list_open(self._repo, label)

    def ensure_labels(self, names: Sequence[str]) -> None:
        issues.ensure_labels(self._repo, names)

    # pull requests

    def propose_change(self, proposal: ChangeProposal) -> PullRef:
        return pulls.propose_change(self._repo, self._owner, proposal)

    def find_pull(self, branch: str, base: str = "main") -> PullRef | None:
        return pulls.find_pull(self._repo, self._owner, branch, base)

    def pull_request_files(self, number: int) -> tuple[str, ...]:
        return pulls.pull_request_files(self._repo, number)

    def close_pull(self, number: int, comment: str, *, delete_branch: bool = True) -> ClosedPull:
        return pulls.close_pull(self._repo, number, comment, delete_branch)

    # records

    def create_deployment(
        self, environment: str, ref: str, *, description: str = "", production: bool = False
    ) -> DeploymentRef:
        return audit.create_deployment(self._repo, environment, ref, description, production)

    def set_deployment_status(
        self,
        deployment: DeploymentRef,
        state: DeploymentState,
        *,
        description: str = "",
        log_url: str | None = None,
        environment_url: str | None = None,
    ) -> None:
        audit.set_deployment_status(self._repo, deployment, state, description, log_url, environment_url)

    def latest_deployment(self, environment: str) -> DeploymentRef | None:
        return audit.latest_deployment(self._repo, environment)

    def set_commit_status(
        self, sha: str, state: CommitState, context: str, description: str, target_url: str | None = None
    ) -> None:
        audit.set_commit_status(self._repo, sha, state, context, description, target_url)

    def create_check_run(self, sha: str, name: str, conclusion: str, output: CheckOutput) -> int:
        return audit.create_check_run(self._repo, sha, name, conclusion, output)

    def workflow_runs(self, workflow: str, *, event: str | None = None, limit: int = 30) -> tuple[WorkflowRun, ...]:
        return audit.workflow_runs(self._repo, workflow, event, limit)

    def rate_limit(self) -> RateLimit:
        """From the last response's headers; before any request this asks GET /rate_limit (free for the limit)."""
        remaining, limit = call("reading the rate limit", lambda: self._client.rate_limiting)
        reset = self._client.rate_limiting_resettime
        return RateLimit(remaining, limit, reset)


def _implements_the_port(repo: GitHubRepo) -> GitHubPort:
    """Never called: mypy checks here that `GitHubRepo` provides every method of `GitHubPort`."""
    return repo
