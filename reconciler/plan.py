"""PURE: compare the desired state with what is live and return a `Plan` of typed changes. No I/O here.

`plan(desired, observed)` decides everything a run will do and why; `apply` executes it, `drift` files it, `render`
prints it. Each change carries the gates and steps it goes through in order and its risk. Reading the desired state
goes through the small accessors at the top of `_service_changes` so the model's spelling is in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from reconciler.desired.model import DesiredState, Environment, Service
from reconciler.observed import (
    BackupsFacts,
    DatabaseFacts,
    GitHubFacts,
    LiveService,
    ObservedEnvironment,
    ObservedState,
    RailwayFacts,
    Unreachable,
)
from reconciler.plan_steps import (
    PIPELINE,
    config_steps,
    deploy_steps,
    duration,
    make_change,
    pipeline,
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
    if isinstance(live.github, GitHubFacts) and live.github.adopt_pull is not None:
        pull = live.github.adopt_pull
        notes.append(f"adopt PR #{pull.number} is open: {pull.title} ({pull.url})")
    notes += list(live.not_observed)
    ordered = tuple(sorted(changes, key=lambda c: c.address))
    return EnvironmentPlan(
        environment=env.environment,
        changes=ordered,
        unreachable=live.unreachable,
        notes=tuple(notes),
        steps=pipeline(c.steps for c in ordered),
    )


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
            make_change(
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
            make_change(
                env,
                name,
                "image",
                live.image_name,
                service.image,
                "the service runs a different image than git declares",
                steps=deploy_steps(env, name, service, service.version, everything, at),
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
            make_change(
                env,
                name,
                "version",
                live.running_version,
                want_version,
                why,
                steps=deploy_steps(env, name, service, want_version, everything, at),
                risk=deploy_risk,
                source_path=(*base, "version"),
            )
        )
    if service.repo is not None and service.commit is not None:
        running = live.running_commit
        if running is None or not (running.startswith(service.commit) or service.commit.startswith(running)):
            changes.append(
                make_change(
                    env,
                    name,
                    "commit",
                    running,
                    service.commit,
                    f"git declares commit {service.commit} of {service.repo}; {running or 'no commit'} is running",
                    steps=deploy_steps(env, name, service, service.commit, everything, at),
                    risk=deploy_risk,
                    source_path=(*base, "commit"),
                    policy_field="version",
                )
            )
    changes += _replica_changes(env, name, service, live)
    if service.healthcheck is not None:
        hc = service.healthcheck
        timeout = int(hc.timeout.total_seconds()) if hc.timeout is not None else None
        live_timeout = live.healthcheck_timeout_seconds
        # Git holds a duration (`300s`); only a positive live value can be written back as one.
        timeout_path = (*base, "healthcheck", "timeout") if live_timeout is not None and live_timeout > 0 else None
        for field, want, have, path in (
            ("healthcheck.path", hc.path, live.healthcheck_path, (*base, "healthcheck", "path")),
            ("healthcheck.timeout", timeout, live_timeout, timeout_path),
        ):
            if want is not None and want != have:
                changes.append(
                    make_change(
                        env,
                        name,
                        field,
                        have,
                        want,
                        "Railway's health check differs from git",
                        steps=config_steps(env, name, service, everything, at),
                        risk=config_risk,
                        source_path=path,
                        policy_field="healthcheck",
                        duration=field == "healthcheck.timeout",
                    )
                )
    if service.migrations is not None and service.migrations.command != live.pre_deploy_command:
        changes.append(
            make_change(
                env,
                name,
                "migrations.command",
                live.pre_deploy_command,
                service.migrations.command,
                "the pre-deploy command (which runs migrations) differs from git",
                steps=config_steps(env, name, service, everything, at),
                risk=Risk(restarts=True, migrations=True, reversible=False),
                source_path=(*base, "migrations", "command"),
                policy_field="migrations",
            )
        )
    changes += _variable_changes(env, name, service, live)
    return changes


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
        make_change(
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
        make_change(
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
        before = f"{duration(age)} old"
        why = f"the newest verified backup ({newest.id}) is {duration(age)} old, over max_age {duration(max_age)}"
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
            after=f"verified, at most {duration(max_age)} old",
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


def drifted(result: Plan) -> Mapping[str, tuple[Change, ...]]:
    """The drift view of a plan: per environment, the declared fields whose live value differs."""
    return {env.environment: tuple(c for c in env.changes if c.is_drift) for env in result.environments}


__all__ = ["PIPELINE", "Unreachable", "drifted", "plan", "plan_environment"]
