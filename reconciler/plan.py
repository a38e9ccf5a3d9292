"""PURE: compare the desired state with what is live and return a `Plan` of typed changes. No I/O here.

`plan(desired, observed)` decides everything a run will do and why; `apply` executes it, `drift` files it, `render`
prints it. Each change carries the gates and steps it goes through in order and its risk. Reading the desired state
goes through the small accessors at the top of `_service_changes` so the model's spelling is in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from reconciler.desired.model import DesiredState, Environment, Service
from reconciler.observed import (
    BackupsFacts,
    DatabaseFacts,
    LiveService,
    ObservedEnvironment,
    ObservedState,
    RailwayFacts,
    Unreachable,
)
from reconciler.plan_types import (
    Action,
    Change,
    EnvironmentPlan,
    Kind,
    Plan,
    Policy,
    Risk,
    Step,
    StepKind,
    Value,
)

# The order every environment's pipeline runs in; a change lists the subset it needs, in this order.
NO_RISK = Risk()
PIPELINE = ("lock", "deploy-window", "promotion", "approval", "backup", "deploy", "scale", "verify")


def plan(desired: DesiredState, observed: ObservedState) -> Plan:
    """The plan for every desired environment that was observed. Pure and deterministic."""
    environments = []
    for env in desired.environments.values():
        live = observed.environment(env.environment)
        if live is None:
            continue  # not asked for (e.g. `--environment staging`)
        environments.append(plan_environment(env, live, observed))
    return Plan(environments=tuple(environments))


def plan_environment(env: Environment, live: ObservedEnvironment, everything: ObservedState) -> EnvironmentPlan:
    changes: list[Change] = []
    notes: list[str] = []
    if isinstance(live.railway, RailwayFacts):
        for name, service in env.services.items():
            changes += _service_changes(env, name, service, live.railway, everything, live.observed_at)
        declared = set(env.services)
        for extra in sorted(s.name for s in live.railway.services if s.name not in declared):
            notes.append(f"service {extra} runs in Railway but is not declared in git (left alone)")
    if isinstance(live.backups, BackupsFacts):
        changes += _backup_changes(env, live.backups, live.observed_at)
    if isinstance(live.database, DatabaseFacts):
        notes += _database_notes(env, live.database)
    ordered = tuple(sorted(changes, key=lambda c: c.address))
    return EnvironmentPlan(
        environment=env.environment,
        changes=ordered,
        unreachable=live.unreachable,
        notes=tuple(notes),
        steps=_pipeline(c.steps for c in ordered),
    )


def _pipeline(step_lists: Iterable[tuple[Step, ...]]) -> tuple[Step, ...]:
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


def _policy(env: Environment, field: str) -> Policy:
    return Policy(str(env.drift.policy_for(field)))


def _action(policy: Policy) -> Action:
    return Action.ADOPT if policy is Policy.ADOPT else Action.APPLY


def _change(
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
) -> Change:
    policy = _policy(env, policy_field or field)
    chosen = action or _action(policy)
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
    )


def _gates(env: Environment, service: str, version: str | None, everything: ObservedState, at: datetime) -> list[Step]:
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


def _deploy_steps(
    env: Environment, name: str, service: Service, version: str | None, everything: ObservedState, at: datetime
) -> tuple[Step, ...]:
    steps = _gates(env, name, version, everything, at)
    if _needs_approval(env, service, version):
        steps.append(Step("approval", StepKind.GATE, "a reviewer approves (GitHub environment's required reviewers)"))
    if _backup_before_deploy(env, service):
        steps.append(Step("backup", StepKind.STEP, "pg_dump to S3, verified before anything changes"))
    migrate = " (migrations run as the pre-deploy command)" if service.migrations is not None else ""
    steps.append(Step("deploy", StepKind.STEP, f"one Railway environment patch, wait for SUCCESS{migrate}"))
    steps.append(Step("verify", StepKind.STEP, _verify_detail(env, service)))
    return tuple(steps)


def _needs_approval(env: Environment, service: Service, version: str | None) -> bool:
    wanted = set(env.approval.required_for)
    return "deploy" in wanted or ("migrations" in wanted and service.migrations is not None and version is not None)


def _verify_detail(env: Environment, service: Service) -> str:
    parts = []
    if service.healthcheck is not None:
        parts.append(f"health {service.healthcheck.path}")
    if service.version_check is not None:
        parts.append(f"version {service.version_check.path}")
    if service.smoke:
        parts.append(f"{len(service.smoke)} smoke request{'s' if len(service.smoke) != 1 else ''}")
    if env.verification.metrics:
        parts.append(f"metrics watched for {_duration(env.verification.watch)}")
    return ", ".join(parts) or "deployment reaches SUCCESS"


def _backup_before_deploy(env: Environment, service: Service) -> bool:
    return env.backup_required_before_deploy(with_migrations=service.migrations is not None)


def _service_changes(
    env: Environment,
    name: str,
    service: Service,
    railway: RailwayFacts,
    everything: ObservedState,
    at: datetime,
) -> list[Change]:
    live = railway.service(name)
    base = ("services", name)
    if live is None:
        return [
            _change(
                env,
                name,
                "service",
                None,
                "present",
                f"{name} is declared in git but does not exist in the Railway environment; create it there",
                kind=Kind.MISSING,
                action=Action.MANUAL,
            )
        ]
    changes: list[Change] = []
    migrations = service.migrations is not None
    deploy_risk = Risk(restarts=True, migrations=migrations, reversible=not migrations)
    config_risk = Risk(restarts=True)

    if service.image is not None and live.image_name is not None and live.image_name != service.image:
        changes.append(
            _change(
                env,
                name,
                "image",
                live.image_name,
                service.image,
                "the service runs a different image than git declares",
                steps=_deploy_steps(env, name, service, service.version, everything, at),
                risk=deploy_risk,
                source_path=(*base, "image"),
            )
        )
    want_version = service.version
    if want_version is not None and live.running_version != want_version:
        why = f"git declares {want_version}; {live.running_version or 'no version'} is running"
        if live.latest is not None and live.latest.version == want_version and live.latest.status != "SUCCESS":
            why += f" (the last deploy of {want_version} ended {live.latest.status})"
        changes.append(
            _change(
                env,
                name,
                "version",
                live.running_version,
                want_version,
                why,
                steps=_deploy_steps(env, name, service, want_version, everything, at),
                risk=deploy_risk,
                source_path=(*base, "version"),
            )
        )
    if service.repo is not None and service.commit is not None:
        running = live.running_commit
        if running is None or not (running.startswith(service.commit) or service.commit.startswith(running)):
            changes.append(
                _change(
                    env,
                    name,
                    "commit",
                    running,
                    service.commit,
                    f"git declares commit {service.commit} of {service.repo}; {running or 'no commit'} is running",
                    steps=_deploy_steps(env, name, service, service.commit, everything, at),
                    risk=deploy_risk,
                    source_path=(*base, "commit"),
                    policy_field="version",
                )
            )
    changes += _replica_changes(env, name, service, live)
    if service.healthcheck is not None:
        hc = service.healthcheck
        timeout = int(hc.timeout.total_seconds()) if hc.timeout is not None else None
        for field, want, have, path in (
            ("healthcheck.path", hc.path, live.healthcheck_path, (*base, "healthcheck", "path")),
            ("healthcheck.timeout", timeout, live.healthcheck_timeout_seconds, None),
        ):
            if want is not None and want != have:
                changes.append(
                    _change(
                        env,
                        name,
                        field,
                        have,
                        want,
                        "Railway's health check differs from git",
                        steps=_config_steps(env, name, service, everything, at),
                        risk=config_risk,
                        source_path=path,
                        policy_field="healthcheck",
                    )
                )
    if service.migrations is not None and service.migrations.command != live.pre_deploy_command:
        changes.append(
            _change(
                env,
                name,
                "migrations.command",
                live.pre_deploy_command,
                service.migrations.command,
                "the pre-deploy command (which runs migrations) differs from git",
                steps=_config_steps(env, name, service, everything, at),
                risk=Risk(restarts=True, migrations=True, reversible=False),
                source_path=(*base, "migrations", "command"),
                policy_field="migrations",
            )
        )
    changes += _variable_changes(env, name, service, live)
    return changes


def _config_steps(
    env: Environment, name: str, service: Service, everything: ObservedState, at: datetime
) -> tuple[Step, ...]:
    # A config change redeploys the running version: the same pipeline, minus promotion (nothing new is promoted).
    return tuple(s for s in _deploy_steps(env, name, service, None, everything, at) if s.name != "promotion")


def _replica_changes(env: Environment, name: str, service: Service, live: LiveService) -> list[Change]:
    have = live.replicas
    if have is None:
        return []
    scaling = service.autoscaling
    if scaling is not None:
        # Inside the declared bounds the autoscaler decides: not drift. Outside: back to the nearest bound.
        if scaling.min <= have <= scaling.max:
            return []
        want = scaling.min if have < scaling.min else scaling.max
        why = f"{have} replicas is outside the autoscaling bounds {scaling.min}-{scaling.max}"
        path = None
    else:
        if service.replicas is None or service.replicas == have:
            return []
        want = service.replicas
        why = f"git declares {want} replica{'s' if want != 1 else ''}; {have} {'is' if have == 1 else 'are'} running"
        path = ("services", name, "replicas")
    down = want < have
    steps = (
        Step("scale", StepKind.STEP, f"Railway replicas {have} -> {want} (no rebuild)"),
        Step("verify", StepKind.STEP, "the deployment stays SUCCESS"),
    )
    return [
        _change(
            env,
            name,
            "replicas",
            have,
            want,
            why,
            steps=steps,
            risk=Risk(scale_down=down),
            source_path=path,
        )
    ]


def _variable_changes(env: Environment, name: str, service: Service, live: LiveService) -> list[Change]:
    missing = tuple(sorted(set(service.variables.required) - live.variable_names))
    if not missing:
        return []
    return [
        _change(
            env,
            name,
            "variables.required",
            tuple(sorted(set(service.variables.required) & live.variable_names)),
            tuple(sorted(service.variables.required)),
            f"required variable{'s' if len(missing) > 1 else ''} not set in Railway: {', '.join(missing)}"
            " (the reconciler never holds secret values; set them in Railway)",
            action=Action.MANUAL,
            policy_field="variables",
        )
    ]


def _backup_changes(env: Environment, backups: BackupsFacts, at: datetime) -> list[Change]:
    policy = env.backups
    if policy is None:
        return []
    max_age: timedelta = policy.max_age
    newest = backups.newest_verified
    if newest is None:
        before: Value = None
        why = "there is no verified backup"
    else:
        age = at - newest.taken_at
        if age <= max_age:
            return []
        before = f"{_duration(age)} old"
        why = f"the newest verified backup ({newest.id}) is {_duration(age)} old, over max_age {_duration(max_age)}"
    steps = (
        Step("backup", StepKind.STEP, "pg_dump to S3 with a manifest"),
        Step("verify", StepKind.STEP, "checksum and a full read of the archive"),
    )
    return [
        Change(
            address=f"{env.environment}/backups/freshness",
            environment=env.environment,
            service=None,
            field="backups.freshness",
            kind=Kind.BACKUP,
            before=before,
            after=f"verified, at most {_duration(max_age)} old",
            why=why,
            policy=Policy.CORRECT,
            action=Action.APPLY,
            steps=steps,
        )
    ]


def _database_notes(env: Environment, db: DatabaseFacts) -> list[str]:
    notes = []
    if not db.pg_dump_compatible:
        notes.append(
            f"pg_dump {db.pg_dump_version or '(not installed)'} cannot dump PostgreSQL {db.server_version}:"
            " install pg_dump " + str(db.server_major) + " or newer before any backup"
        )
    threshold = env.database.alert_connections_above if env.database is not None else None
    if threshold is not None and db.max_connections:
        used = 100 * db.connections / db.max_connections
        if used > threshold:
            notes.append(f"{db.connections} of {db.max_connections} connections in use ({used:.0f}% > {threshold}%)")
    return notes


def _duration(value: timedelta) -> str:
    """`1d2h`, `26h`, `5m`: the coarsest two units, for messages (rounded down)."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts[:2]) or "0s"


def drifted(result: Plan) -> Mapping[str, tuple[Change, ...]]:
    """The drift view of a plan: per environment, the declared fields whose live value differs."""
    return {env.environment: tuple(c for c in env.changes if c.is_drift) for env in result.environments}


__all__ = ["PIPELINE", "Unreachable", "drifted", "plan", "plan_environment"]
