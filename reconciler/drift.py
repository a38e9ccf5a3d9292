"""`drift`: the plan read as drift against git, acted on per field policy through the GitHub port.

- every drifted field is listed in ONE issue per environment (label `drift` + hidden marker), with live vs git and
  when it was first seen; the issue is edited in place while drift lasts and closed when it clears;
- fields whose policy is `adopt` also get ONE pull request per environment that writes the live values into the
  desired-state file, changing only those scalars (`yamledit`); later runs update the same branch and PR;
- fields whose policy is `correct` are listed as intended corrections (apply makes live match git);
- once no adopt-policy field drifts any more, the open adopt PR is closed with a comment saying why, and its branch
  deleted when it holds only the reconciler's commits.
An environment that could not be fully observed is never closed or rewritten: unknown is not clean.
Observation lists open `drift` issues and PRs once for all environments; acting on a run with nothing drifted and
nothing open makes no request at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.observe import DRIFT_LABEL, adopt_branch, drift_key
from reconciler.observed import GitHubFacts, IssueRef, ObservedState, Unreachable
from reconciler.plan_types import Action, Change, EnvironmentPlan, Plan
from reconciler.render.text import show
from reconciler.yamledit import Scalar, edit_file_bytes, read_scalar

if TYPE_CHECKING:
    from reconciler.providers.github.records import GitHubPort

ADOPT_LABEL = "drift"
_SEEN = re.compile(r"<!-- seen (\S+) (\S+) -->")
NOTHING_TO_ADOPT = (
    "Closing: no field of **{environment}** with the `adopt` drift policy differs from git any more (live went "
    "back to git's values, or the field's policy changed), so this PR has nothing left to adopt. "
    "The reconciler opens a new one if adopt drift comes back."
)


@dataclass(frozen=True)
class EnvironmentDrift:
    environment: str
    changes: tuple[Change, ...]
    corrections: tuple[Change, ...]
    adopt: tuple[Change, ...]
    observed_fully: bool


@dataclass(frozen=True)
class DriftResult:
    lines: tuple[str, ...]
    failed: bool


def drift_of(env: EnvironmentPlan) -> EnvironmentDrift:
    drifted = tuple(c for c in env.changes if c.is_drift)
    return EnvironmentDrift(
        environment=env.environment,
        changes=drifted,
        corrections=tuple(c for c in drifted if c.action is Action.APPLY and c.policy.value == "correct"),
        adopt=tuple(c for c in drifted if c.action is Action.ADOPT),
        observed_fully=env.complete,
    )


def first_seen(body: str) -> dict[str, str]:
    """`address -> ISO time` recorded in an issue body we wrote earlier."""
    return dict(_SEEN.findall(body))


def issue_body(drift: EnvironmentDrift, seen: dict[str, str], pull_url: str | None) -> str:
    """Deterministic for the same drift, so an unchanged drift makes no write."""
    lines = [
        f"Live state of **{drift.environment}** differs from what git declares.",
        "",
        "| Field | Live | Git | Policy | What happens | First seen |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in drift.changes:
        if c.action is Action.ADOPT:
            happens = f"adopted into git by {pull_url}" if pull_url else "adopt PR"
        elif c.action is Action.MANUAL:
            happens = "needs a person: " + c.why.replace("|", "\\|")
        elif c.policy.value == "correct":
            happens = "corrected by the next apply"
        else:
            happens = "reported; the next apply restores git's value"
        cells = (
            f"`{c.address}`",
            f"`{show(c.before)}`",
            f"`{show(c.after)}`",
            c.policy.value,
            happens,
            seen[c.address],
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "This issue is updated in place by `reconciler drift` and closed when live matches git again.", ""]
    lines += [f"<!-- seen {c.address} {seen[c.address]} -->" for c in drift.changes]
    return "\n".join(lines) + "\n"


# A duration's units, largest first, in seconds (the desired state's own: `90s`, `5m`, `26h`, `7d`, `2w`).
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION_PART = re.compile(r"(\d+)([wdhms])")


def duration_like(seconds: int, written: str) -> str:
    """`seconds` as a duration in the units git already used for the field, where they say it exactly.

    `300s` + 60 -> `60s`; `5m` + 600 -> `10m`; `1h30m` + 9000 -> `2h30m`; `5m` + 90 -> `90s` (minutes cannot say 90
    seconds exactly, so seconds, which always can).
    """
    size = dict(_UNITS)
    used = {unit for _, unit in _DURATION_PART.findall(written)}
    if used and seconds > 0:
        smallest = min(size[u] for u in used)
        largest = max(size[u] for u in used)
        if seconds % smallest == 0:
            parts, rest = [], seconds
            for unit, unit_size in _UNITS:
                if smallest <= unit_size <= largest and (unit in used or len(used) > 1):
                    count, rest = divmod(rest, unit_size)
                    if count:
                        parts.append(f"{count}{unit}")
            if rest == 0 and parts:
                return "".join(parts)
    return f"{seconds}s"


def adopt_edits(drift: EnvironmentDrift, source: Path) -> tuple[bytes, bytes]:
    """The desired-state file before and after writing the live values of the adopted fields into it."""
    original = source.read_bytes()
    edits: dict[tuple[str | int, ...], Scalar] = {}
    for c in drift.adopt:
        if c.source_path is None:
            continue
        assert not isinstance(c.before, tuple)
        value: Scalar = c.before
        if c.duration and isinstance(value, int) and not isinstance(value, bool):
            written = read_scalar(original.decode("utf-8"), c.source_path, str(source))
            value = duration_like(value, written if isinstance(written, str) else "")
        edits[c.source_path] = value
    return original, edit_file_bytes(original, edits, str(source))


def close_adopt_pull(port: GitHubPort, environment: str, pull: IssueRef) -> str:
    """Close the environment's adopt PR (nothing left to adopt) and say what became of its branch."""
    closed = port.close_pull(pull.number, NOTHING_TO_ADOPT.format(environment=environment))
    if closed.action != "closed":
        return f"{environment}: adopt PR #{pull.number} was already closed"
    branch = f"branch {closed.branch} deleted" if closed.branch_deleted else f"branch {closed.branch} kept: "
    if not closed.branch_deleted:
        branch += closed.kept_because or "not deleted"
    return f"{environment}: adopt PR #{pull.number} closed, nothing left to adopt; {branch}"


def act(
    plan: Plan,
    observed: ObservedState,
    sources: dict[str, Path],
    github: GitHubPort | Unreachable | None,
    *,
    now: datetime,
    repo_path: Callable[[Path], str],
) -> DriftResult:
    """Apply the drift policies of every environment; returns what was done, line by line.

    Writes only where the observation says something must change: an open issue or adopt PR to close, drift to
    report or adopt. What is open on GitHub comes from the observation (`GitHubFacts`), not from new requests.
    """
    from reconciler.providers.github.records import ChangeProposal, FileChange, IssueReport

    out: list[str] = []
    failed = False
    port = None
    if isinstance(github, Unreachable):
        failed = True
        out.append(f"GitHub unreachable, no issue or PR written: {github.reason}")
    else:
        port = github
    for env in plan.environments:
        drift = drift_of(env)
        name = env.environment
        if not drift.observed_fully:
            failed = True
            out.append(f"{name}: not fully observed; drift issue and PR left as they are")
            continue
        live = observed.environment(name)
        facts = live.github if live is not None else None
        known = facts.drift_issue if isinstance(facts, GitHubFacts) else None
        open_pull = facts.adopt_pull if isinstance(facts, GitHubFacts) else None
        if not drift.changes:
            if port is not None and known is not None:
                outcome = port.resolve_issue(DRIFT_LABEL, drift_key(name), "Live matches git again; closing.")
                out.append(f"{name}: no drift; issue #{outcome.number} {outcome.action}")
            else:
                out.append(f"{name}: no drift")
            if port is not None and open_pull is not None:
                out.append(close_adopt_pull(port, name, open_pull))
            continue
        for c in drift.changes:
            out.append(f"{name}: drift {c.address}: live {show(c.before)}, git {show(c.after)} ({c.policy.value})")
        for c in drift.corrections:
            out.append(f"{name}: intended correction {c.address} -> {show(c.after)} (through apply)")
        if port is None:
            out.append(f"{name}: GitHub not configured; no issue or PR written")
            continue
        pull_url = None
        if drift.adopt:
            before, after = adopt_edits(drift, sources[name])
            path = repo_path(sources[name])
            listed = ", ".join(f"`{c.address}`" for c in drift.adopt)
            proposal = ChangeProposal(
                branch=adopt_branch(name),
                title=f"Adopt live drift into git: {name}",
                body=f"Live values in **{name}** differ from git and the drift policy says adopt them: {listed}.\n"
                "This PR changes only those values; merge it to make git match what runs.",
                message=f"Adopt live drift in {name}: {', '.join(c.address for c in drift.adopt)}",
                files=(FileChange(path=path, content=after, previous=before),),
                labels=(ADOPT_LABEL,),
            )
            pull = port.propose_change(proposal)
            pull_url = pull.url
            out.append(f"{name}: adopt PR #{pull.number} {pull.action}")
        elif open_pull is not None:
            out.append(close_adopt_pull(port, name, open_pull))
        seen = first_seen(known.body if known is not None else "")
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        seen = {c.address: seen.get(c.address, stamp) for c in drift.changes}
        report = IssueReport(
            key=drift_key(name),
            label=DRIFT_LABEL,
            title=f"Drift in {name}: live differs from git",
            body=issue_body(drift, seen, pull_url),
            labels=("reconciler",),
        )
        outcome = port.report_issue(report)
        out.append(f"{name}: drift issue #{outcome.number} {outcome.action}")
    return DriftResult(tuple(out), failed)


def repo_relative(path: Path) -> str:
    """The file's path as the repository knows it (commands run from the repository root)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def drift_command(path: Path, names: tuple[str, ...]) -> tuple[str, int]:
    """`reconciler drift`: observe, plan, then file issues and PRs per policy. Exit 1 when anything was not seen."""
    from datetime import UTC

    from reconciler import actions, planning

    done = planning.run(path, names)
    try:
        github = done.providers.github
        if github is None:
            if actions.in_actions():
                github = Unreachable("github", "GITHUB_REPOSITORY is not set")
        result = act(
            done.plan,
            done.observed,
            dict(done.desired.sources),
            github,
            now=datetime.now(UTC),
            repo_path=repo_relative,
        )
    finally:
        planning.close(done.providers)
    lines = list(result.lines)
    for env in done.plan.environments:
        lines += [f"{env.environment}: {u}" for u in env.unreachable]
    if actions.in_actions():
        actions.job_summary(summary_markdown(done.plan, lines))
    return "\n".join(lines) + "\n", 1 if result.failed else 0


def summary_markdown(plan: Plan, lines: list[str]) -> str:
    """The job summary of a drift run: the plan as markdown (which notes an open adopt PR), then what was done."""
    from reconciler.render.markdown import render_markdown

    done = "\n".join(f"- {line}" for line in lines) or "- nothing"
    return f"{render_markdown(plan)}\n### What drift did\n\n{done}\n"
