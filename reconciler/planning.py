"""The `plan` run: load the desired state, build the providers from the environment, observe, plan, publish.

Plain functions the thin CLI layer calls. Provider clients are built here from environment variables (tokens are
read by the providers themselves, by name); a client that cannot be built is recorded as `Unreachable` so the plan
says so instead of pretending there is nothing to do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler import actions
from reconciler.desired.load import load_desired_state
from reconciler.desired.model import DesiredState, Environment
from reconciler.errors import ProviderError, ReconcilerError
from reconciler.observe import Providers, installed_pg_dump, observe
from reconciler.observed import ObservedState, Unreachable
from reconciler.plan import plan
from reconciler.plan_types import Plan
from reconciler.render import render
from reconciler.render.markdown import GITHUB_LIMIT, render_markdown

# Room for the provider's hidden marker line in front of our markdown.
COMMENT_LIMIT = GITHUB_LIMIT - 100


@dataclass(frozen=True)
class PlanRun:
    desired: DesiredState
    environments: tuple[str, ...]
    observed: ObservedState
    plan: Plan
    providers: Providers


def select(desired: DesiredState, names: Sequence[str]) -> tuple[str, ...]:
    """The environments to work on: the named ones (each must exist), else all."""
    if not names:
        return tuple(desired.names())
    unknown = [n for n in names if n not in desired.environments]
    if unknown:
        have = ", ".join(desired.names())
        raise ReconcilerError(f"no environment named {', '.join(unknown)} in the desired state (have: {have})")
    return tuple(dict.fromkeys(names))


def _build(provider: str, build: Any) -> Any:
    try:
        return build()
    except ReconcilerError as e:
        return Unreachable(provider, str(e))


def github_from_env(environ: Mapping[str, str] | None = None) -> Any:
    """A GitHub client when a repository and credentials are configured; None when GitHub is not in play."""
    env = os.environ if environ is None else environ
    if not env.get("GITHUB_REPOSITORY"):
        return None
    from reconciler.providers.github import connect, settings_from_env

    return _build("github", lambda: connect(settings_from_env(env), env))


def database_url(env: Environment) -> str | None:
    """The environment's database URL (masked in Actions), or None when its variable is not set."""
    from reconciler import secrets

    assert env.database is not None
    return secrets.resolve_optional(env.database.url)


def providers_from_env(desired: DesiredState, names: Sequence[str]) -> Providers:
    """Clients for every provider the named environments need, configured from the process environment."""
    wanted = [desired[n] for n in names]

    def railway() -> Any:
        from reconciler.providers.railway.client import RailwayClient

        return RailwayClient.from_env()

    def s3() -> Any:
        from reconciler.providers.s3 import S3

        return S3()

    from reconciler.providers.postgres_facts import read_database

    return Providers(
        railway=_build("railway", railway),
        s3=_build("s3", s3) if any(e.backups for e in wanted) else None,
        github=github_from_env(),
        database_url=database_url,
        read_database=read_database,
        pg_dump_version=installed_pg_dump,
    )


def close(providers: Providers) -> None:
    for client in (providers.railway, providers.github):
        closer = getattr(client, "close", None)
        if callable(closer):
            closer()


def run(path: Path, names: Sequence[str], providers: Providers | None = None, *, read_github: bool = True) -> PlanRun:
    """Load, observe (all providers, all environments, at once) and plan. Read-only.

    The providers are built from the environment unless given; the caller closes them (`close`) once it has
    also used them to publish. `read_github=False` skips reading GitHub (a plan needs no issue listing; it only
    writes its comment), keeping a run's GitHub requests to the ones that write.
    """
    desired = load_desired_state(path)
    chosen = select(desired, names)
    built = providers or providers_from_env(desired, chosen)
    try:
        reads = built if read_github else replace(built, github=None)
        observed = observe(desired, reads, environments=chosen)
    except BaseException:
        close(built)
        raise
    return PlanRun(desired, chosen, observed, plan(desired, observed), built)


def incomplete_error(result: Plan) -> ProviderError:
    down = sorted({f"{e.environment}/{u.provider}" for e in result.environments for u in e.unreachable})
    return ProviderError(f"the plan is incomplete: could not observe {', '.join(down)} (reasons above)")


def publish(result: Plan, github: Any) -> str | None:
    """Under Actions: the job summary, and on a pull request the sticky comment. Returns what was done, if anything."""
    if not actions.in_actions():
        return None
    summary = render_markdown(result)
    actions.job_summary(summary)
    event = actions.read_event()
    if event is None or event.pull_request is None:
        return "job summary written"
    if github is None or isinstance(github, Unreachable):
        why = github.reason if isinstance(github, Unreachable) else "GITHUB_REPOSITORY is not set"
        raise ProviderError(f"cannot post the plan comment on PR #{event.pull_request.number}: {why}")
    comment = render_markdown(result, limit=COMMENT_LIMIT, summary_url=actions.run_url())
    outcome = github.sticky_comment(event.pull_request.number, comment, key="plan", overflow_url=actions.run_url())
    return f"plan comment {outcome.action} on PR #{event.pull_request.number}"


@dataclass(frozen=True)
class Outcome:
    """What a command prints on stdout, what it says on stderr, and its exit code."""

    text: str
    message: str | None
    exit_code: int


def git_only(desired: DesiredState, names: Sequence[str]) -> str:
    """The plan of a fork's pull request: no credentials, so no live read; say so instead of showing changes."""
    lines = [
        "## Reconciler plan (from git only)",
        "",
        "This pull request comes from a fork, so the run has no credentials and read no live system: nothing was",
        "compared, and this is **not** a statement that there are no changes. The desired state is valid:",
        "",
    ]
    for name in names:
        env = desired[name]
        services = ", ".join(f"{s} {v.target_version}" for s, v in env.services.items())
        lines.append(f"- **{name}**: {services}")
    lines += ["", "The full plan appears once the change is on a branch of this repository."]
    return "\n".join(lines) + "\n"


def plan_command(path: Path, names: Sequence[str], output: str, *, detailed_exitcode: bool, color: bool) -> Outcome:
    """`reconciler plan`: 0 no changes (or changes without --detailed-exitcode), 2 changes, 1 incomplete plan.

    On a fork's pull request under Actions nothing live is read (no secrets there): the output says so, exit 0.
    """
    event = actions.read_event() if actions.in_actions() else None
    if event is not None and not event.secrets_allowed:
        desired = load_desired_state(path)
        text = git_only(desired, select(desired, names))
        actions.job_summary(text)
        return Outcome(text, "plan from git only: a fork's pull request reads no live system", 0)
    done = run(path, names, read_github=False)
    text = render(done.plan, output, color=color)
    try:
        published = publish(done.plan, done.providers.github)
    finally:
        close(done.providers)
    if not done.plan.complete:
        return Outcome(text, f"error: {incomplete_error(done.plan)}", 1)
    if detailed_exitcode and done.plan.has_changes:
        return Outcome(text, published, 2)
    return Outcome(text, published, 0)
