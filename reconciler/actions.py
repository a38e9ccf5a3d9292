"""The GitHub Actions runtime: the triggering event, annotations, log groups, job summary, outputs and masks.

Under Actions (`GITHUB_ACTIONS=true`) these speak the runner's workflow-command protocol and append to the files it
names; anywhere else they degrade to plain terminal output, so the same command reads well on a laptop.
Workflow commands go to stdout (the runner reads them there); plain diagnostics go to stderr.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import click

from reconciler.errors import GateRefused, InvalidInput, Problem

# GitHub shows at most 1 MiB of job summary per step; beyond that the upload fails.
SUMMARY_LIMIT = 1024 * 1024
# Events whose runs may change live systems. A pull_request run (a fork's above all) only ever plans.
APPLY_EVENTS = frozenset({"push", "workflow_dispatch", "schedule"})

Level = Literal["error", "warning", "notice"]

# Every secret value this process has read; `redact` scrubs them from any text we are about to show.
_masked: set[str] = set()


def in_actions(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


# --- workflow commands --------------------------------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def mask(value: str) -> None:
    """Register a secret value: the runner hides it from every later log line, and `redact` scrubs it here.

    A multi-line value (a PEM key) is masked line by line, because the runner matches single lines.
    """
    if not value:
        return
    # Very short fragments of a multi-line value (a PEM's dashes) would mask innocent text everywhere;
    # the whole value is always masked, however short.
    lines = [line.strip() for line in value.splitlines()] if "\n" in value else []
    for piece in [value, *(line for line in lines if len(line) >= 4)]:
        if piece in _masked:
            continue
        _masked.add(piece)
        if in_actions():
            click.echo(f"::add-mask::{_escape_data(piece)}")


def redact(text: str) -> str:
    """Replace every masked value in `text` with `***` (longest first, so a value's prefix never survives)."""
    for value in sorted(_masked, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def annotate(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    title: str | None = None,
) -> None:
    """An error/warning/notice: an annotation on the PR diff under Actions, `file:line:col: level: msg` elsewhere."""
    message = redact(message)
    if in_actions():
        props = []
        if file:
            props.append(f"file={_escape_property(file)}")
        if line:
            props.append(f"line={line}")
        if column:
            props.append(f"col={column}")
        if title:
            props.append(f"title={_escape_property(title)}")
        head = f"::{level} {','.join(props)}" if props else f"::{level}"
        click.echo(f"{head}::{_escape_data(message)}")
        return
    where = ":".join(str(part) for part in (file, line, column) if part)
    click.echo(f"{where + ': ' if where else ''}{level}: {message}", err=True)


def error_annotation(problem: Problem) -> None:
    """Under Actions, emit `::error file=…,line=…,col=…::message` so the problem shows on the PR diff.

    Outside Actions this prints nothing: the CLI has already printed the problem as `file:line:col: message`.
    """
    if in_actions():
        annotate("error", problem.message, file=problem.file, line=problem.line, column=problem.column)


@contextmanager
def group(title: str) -> Iterator[None]:
    """A collapsible log group under Actions; a plain heading line elsewhere."""
    if in_actions():
        click.echo(f"::group::{_escape_data(title)}")
        try:
            yield
        finally:
            click.echo("::endgroup::")
    else:
        click.echo(f"==> {title}", err=True)
        yield


@contextmanager
def commands_stopped() -> Iterator[None]:
    """Print untrusted text (PR titles, plan bodies quoting user files) without the runner obeying `::` lines in it."""
    if not in_actions():
        yield
        return
    token = uuid.uuid4().hex
    click.echo(f"::stop-commands::{token}")
    try:
        yield
    finally:
        click.echo(f"::{token}::")


# --- files the runner reads ------------------------------------------------------------------------------------------


def job_summary(markdown: str) -> None:
    """Append Markdown to the step's job summary; print it to stdout outside Actions.

    The runner rejects a step summary over 1 MiB, so a longer one is cut with a note saying so.
    """
    markdown = redact(markdown)
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not (in_actions() and path):
        click.echo(markdown)
        return
    used = os.path.getsize(path) if os.path.exists(path) else 0
    room = SUMMARY_LIMIT - used - 200
    data = markdown.encode()
    if len(data) > room:
        cut = data[: max(room, 0)].decode(errors="ignore")
        markdown = f"{cut}\n\n_(summary cut at GitHub's 1 MiB limit; the full output is in the job log)_\n"
    with open(path, "a", encoding="utf-8") as out:
        out.write(markdown if markdown.endswith("\n") else markdown + "\n")


def set_output(name: str, value: str) -> None:
    """Set a step output (`name<<DELIM` form, safe for any value); print `name=value` to stderr outside Actions.

    Values must not be secrets: the runner refuses to pass a masked value between jobs, so we refuse earlier.
    """
    if redact(value) != value:
        raise ValueError(f"output {name!r} would carry a secret value")
    path = os.environ.get("GITHUB_OUTPUT")
    if not (in_actions() and path):
        click.echo(f"{name}={value}", err=True)
        return
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    while delimiter in value:  # vanishingly unlikely, but a delimiter inside the value would end it early
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def run_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The URL of this workflow run (where the job summary is shown), or None outside Actions."""
    env = os.environ if environ is None else environ
    server, repo, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if not (server and repo and run):
        return None
    return f"{server}/{repo}/actions/runs/{run}"


# --- the triggering event --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullRequest:
    """The pull request a run was triggered by. `title` is untrusted text: pass it via `env:`, never `${{ }}`."""

    number: int
    title: str
    head_sha: str
    head_ref: str
    head_repo: str | None  # owner/name; None when the fork was deleted
    base_sha: str
    base_ref: str
    base_repo: str

    @property
    def is_fork(self) -> bool:
        return self.head_repo != self.base_repo


@dataclass(frozen=True)
class Event:
    """What triggered this run, reduced to what the reconciler decides on."""

    name: str  # pull_request, push, workflow_dispatch, schedule, … (GITHUB_EVENT_NAME)
    repository: str  # owner/name
    sha: str  # the commit to report on: the PR head, the pushed commit, or GITHUB_SHA
    ref: str  # refs/heads/main, refs/pull/2/merge, …
    pull_request: PullRequest | None = None
    # Files the event says changed; None when the payload does not list them (pull requests, long pushes).
    changed_files: tuple[str, ...] | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    default_branch: str | None = None  # the repository's, when the payload says

    @property
    def on_default_branch(self) -> bool:
        if self.default_branch is None:
            return self.ref.startswith("refs/heads/")
        return self.ref == f"refs/heads/{self.default_branch}"

    @property
    def is_fork(self) -> bool:
        return self.pull_request is not None and self.pull_request.is_fork

    @property
    def secrets_allowed(self) -> bool:
        """A fork's PR runs code we did not review: it plans from git alone and reads no secret."""
        return not self.is_fork

    @property
    def apply_allowed(self) -> bool:
        """Only pushes, dispatches and schedules on the default branch may change live systems; never a PR."""
        if self.pull_request is not None or self.name not in APPLY_EVENTS:
            return False
        return self.name == "schedule" or self.on_default_branch


def require_apply_allowed(event: Event | None) -> None:
    """Refuse to apply from a pull request (a fork's or not); a local run (no event) is the operator's own call."""
    if event is None or event.apply_allowed:
        return
    if event.pull_request is not None or event.name not in APPLY_EVENTS:
        source = "a fork's pull request" if event.is_fork else f"a {event.name} event"
        raise GateRefused(f"apply refused: this run was triggered by {source}; only plan runs there")
    raise GateRefused(f"apply refused: {event.ref} is not the default branch ({event.default_branch})")


# Push payloads carry at most 20 commits; with that many the file lists may be incomplete.
_PUSH_COMMIT_CAP = 20


def _pull_request(payload: Mapping[str, Any]) -> PullRequest:
    pr = payload["pull_request"]
    head_repo = pr["head"].get("repo")
    return PullRequest(
        number=int(pr["number"]),
        title=str(pr.get("title") or ""),
        head_sha=pr["head"]["sha"],
        head_ref=pr["head"]["ref"],
        head_repo=head_repo["full_name"] if head_repo else None,
        base_sha=pr["base"]["sha"],
        base_ref=pr["base"]["ref"],
        base_repo=pr["base"]["repo"]["full_name"],
    )


def _push_files(payload: Mapping[str, Any]) -> tuple[str, ...] | None:
    commits = payload.get("commits")
    if commits is None or len(commits) >= _PUSH_COMMIT_CAP or payload.get("forced"):
        return None
    files: set[str] = set()
    for commit in commits:
        for key in ("added", "modified", "removed"):
            files.update(commit.get(key) or ())
    return tuple(sorted(files))


def _guess_name(payload: Mapping[str, Any]) -> str:
    if "pull_request" in payload:
        return "pull_request"
    if "commits" in payload and "ref" in payload:
        return "push"
    if "inputs" in payload and "workflow" in payload:
        return "workflow_dispatch"
    return "unknown"


def parse_event(payload: Mapping[str, Any], environ: Mapping[str, str]) -> Event:
    """Reduce a webhook payload (as Actions writes it to GITHUB_EVENT_PATH) to an `Event`."""
    name = environ.get("GITHUB_EVENT_NAME") or _guess_name(payload)
    repository = payload.get("repository") or {}
    repo = repository.get("full_name") or environ.get("GITHUB_REPOSITORY", "")
    default = repository.get("default_branch") or None
    ref = environ.get("GITHUB_REF") or str(payload.get("ref") or "")
    sha = environ.get("GITHUB_SHA", "")
    common: dict[str, Any] = {"name": name, "repository": repo, "ref": ref, "default_branch": default}
    if "pull_request" in payload:
        pr = _pull_request(payload)
        common["ref"] = ref or f"refs/pull/{pr.number}/merge"
        return Event(sha=pr.head_sha, pull_request=pr, **common)
    if name == "push":
        return Event(sha=str(payload.get("after") or sha), changed_files=_push_files(payload), **common)
    inputs = {str(k): "" if v is None else str(v) for k, v in (payload.get("inputs") or {}).items()}
    return Event(sha=sha, inputs=inputs, **common)


def read_event(environ: Mapping[str, str] | None = None) -> Event | None:
    """The event of this run from GITHUB_EVENT_PATH, or None outside Actions (no path set)."""
    env = os.environ if environ is None else environ
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as source:
            payload = json.load(source)
        if not isinstance(payload, dict):
            raise ValueError("the payload is not a JSON object")
        return parse_event(payload, env)
    except (OSError, ValueError, KeyError, TypeError) as e:
        problem = Problem(path, 0, 0, f"cannot read the GitHub event payload: {type(e).__name__}: {e}")
        raise InvalidInput([problem]) from e
