"""The parts every planned change is built from: its address and policy, and the ordered gates and steps it needs.

PURE, like `plan.py`, which uses these to build changes field by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from reconciler.desired.model import Environment, Service
from reconciler.observed import ObservedState, RailwayFacts
from reconciler.plan_types import Action, Change, Kind, Policy, Risk, Step, StepKind, Value

NO_RISK = Risk()
PIPELINE = ("lock", "deploy-window", "promotion", "approval", "backup", "deploy", "scale", "verify")


def pipeline(step_lists: Iterable[tuple[Step, ...]]) -> tuple[Step, ...]:
    """Every distinct step once, in pipeline order; a gate seen as blocked anywhere stays blocked."""
    by_name: dict[str, Step] = {}
    for steps in step_lists:
        for step in steps:
            seen = by_name.get(step.name)
            if seen is None or (step.ok is False and seen.ok is not False):
                by_name[step.name] = step
    ordered = sorted(by_name.values(), key=lambda s: PIPELINE.index(s.name) if s.name in PIPELINE else len(PIPELINE))
    if ordered and any(s.name in ("deploy", "scale") for s in ordered):
        ordered.insert(0, Step("lock", StepKind.STEP, "one apply at a time per environment (advisory lock)"))
    return tuple(ordered)


def policy_of(env: Environment, field: str) -> Policy:
    return Policy(str(env.drift.policy_for(field)))


def action_for(policy: Policy) -> Action:
    return Action.ADOPT if policy is Policy.ADOPT else Action.APPLY


def make_change(
    env: Environment,
    service: str | None,
    field: str,
    before: Value,
    after: Value,
    why: str,
    *,
    kind: Kind = Kind.UPDATE,
    steps: tuple[Step, ...] = (),
    risk: Risk = NO_RISK,
    source_path: tuple[str, ...] | None = None,
    policy_field: str | None = None,
    action: Action | None = None,
    duration: bool = False,
) -> Change:
    policy = policy_of(env, policy_field or field)
    chosen = action or action_for(policy)
    if chosen is Action.ADOPT and source_path is None:
        chosen = Action.APPLY  # nothing in git to write the live value into; git's value stands
    address = "/".join(p for p in (env.environment, service, field) if p)
    return Change(
        address=address,
        environment=env.environment,
        service=service,
        field=field,
        kind=kind,
        before=before,
        after=after,
        why=why,
        policy=policy,
        action=chosen,
        steps=steps if chosen is Action.APPLY else (),
        risk=risk,
        source_path=source_path,
        duration=duration,
    )


def gates(env: Environment, service: str, version: str | None, everything: ObservedState, at: datetime) -> list[Step]:
    """The gates a deploy of `service` passes before it may start, with what is known of them now."""
    gates: list[Step] = []
    window = env.deploy_window
    if window is not None:
        # Whether it is open at apply time is decided then; say whether it is open now as a hint.
        state = "open now" if window.is_open(at) else "closed now"
        gates.append(Step("deploy-window", StepKind.GATE, f"{window.describe()}; {state}"))
    source = env.promotion_source
    if source is not None and version is not None:
        upstream = everything.environment(source)
        ok: bool | None = None
        detail = f"{source} must already run {version} healthily"
        if upstream is not None and isinstance(upstream.railway, RailwayFacts):
            there = upstream.railway.service(service)
            running = there.running_version if there else None
            commit = there.running_commit if there else None
            if commit is not None and running is None:
                running = commit  # a repo source: compare commits
            matches = running == version or (commit is not None and commit.startswith(version))
            ok = matches and there is not None and there.active is not None
            detail += f" (it runs {running or 'nothing'})"
        gates.append(Step("promotion", StepKind.GATE, detail, ok))
    return gates


def deploy_steps(
    env: Environment, name: str, service: Service, version: str | None, everything: ObservedState, at: datetime
) -> tuple[Step, ...]:
    steps = gates(env, name, version, everything, at)
    if needs_approval(env, service, version):
        steps.append(Step("approval", StepKind.GATE, "a reviewer approves (GitHub environment's required reviewers)"))
    if backup_before_deploy(env, service):
        steps.append(Step("backup", StepKind.STEP, "pg_dump to S3, verified before anything changes"))
    migrate = " (migrations run as the pre-deploy command)" if service.migrations is not None else ""
    steps.append(Step("deploy", StepKind.STEP, f"one Railway environment patch, wait for SUCCESS{migrate}"))
    steps.append(Step("verify", StepKind.STEP, verify_detail(env, service)))
    return tuple(steps)


def needs_approval(env: Environment, service: Service, version: str | None) -> bool:
    wanted = set(env.approval.required_for)
    return "deploy" in wanted or ("migrations" in wanted and service.migrations is not None and version is not None)


def verify_detail(env: Environment, service: Service) -> str:
    parts = []
    if service.healthcheck is not None:
        parts.append(f"health {service.healthcheck.path}")
    if service.version_check is not None:
        parts.append(f"version {service.version_check.path}")
    if service.smoke:
        parts.append(f"{len(service.smoke)} smoke request{'s' if len(service.smoke) != 1 else ''}")
    if env.verification.metrics:
        parts.append(f"metrics watched for {duration(env.verification.watch)}")
    return ", ".join(parts) or "deployment reaches SUCCESS"


def backup_before_deploy(env: Environment, service: Service) -> bool:
    return env.backup_required_before_deploy(with_migrations=service.migrations is not None)


def config_steps(
    env: Environment, name: str, service: Service, everything: ObservedState, at: datetime
) -> tuple[Step, ...]:
    # A config change redeploys the running version: the same pipeline, minus promotion (nothing new is promoted).
    return tuple(s for s in deploy_steps(env, name, service, None, everything, at) if s.name != "promotion")


def duration(value: timedelta) -> str:
    """`1d2h`, `26h`, `5m`: the coarsest two units, for messages (rounded down)."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts[:2]) or "0s"
