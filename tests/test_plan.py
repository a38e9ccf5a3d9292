"""The pure plan, as tables: (desired, observed) -> expected changes, for every field and every drift policy."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from reconciler.desired.model import DesiredState, Environment
from reconciler.observed import (
    BackupFact,
    BackupsFacts,
    DatabaseFacts,
    Deployment,
    GitHubFacts,
    IssueRef,
    LiveService,
    ObservedEnvironment,
    ObservedState,
    RailwayFacts,
    Unreachable,
)
from reconciler.plan import plan
from reconciler.plan_types import Action, Policy

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday, outside the 02:00-04:00 window

BASE = yaml.safe_load(
    """
environment: production
railway: {project: fixia, environment: production}
promotion: {from: staging}
deploy_window: {timezone: UTC, allow: ["Mon-Fri 02:00-04:00"]}
services:
  api:
    image: ghcr.io/fixia/api
    version: 1.4.2
    replicas: 1
    healthcheck: {path: /health, timeout: 300s}
    version_check: {path: /version}
    migrations: {command: npm run db:migrate:prod, table: _prisma_migrations}
    variables: {required: [DATABASE_URL, JWT_SECRET]}
  web:
    image: ghcr.io/fixia/web
    version: 2.0.0
    replicas: 2
    autoscaling: {min: 1, max: 5, cpu_percent: 70}
database: {url: {env: DATABASE_URL}, alert_connections_above: 80}
backups:
  bucket: fixia-backups
  prefix: production/
  schedule: "0 3 * * *"
  retention: {keep_last: 3}
  max_age: 26h
drift: {default: report}
"""
)


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def desired(patch: dict[str, Any] | None = None) -> DesiredState:
    env = Environment.model_validate(merge(BASE, patch or {}))
    return DesiredState(environments={env.environment: env}, sources={})


def running(image: str) -> Deployment:
    return Deployment(id=f"d-{image}", status="SUCCESS", image=image)


API = LiveService(
    name="api",
    image="ghcr.io/fixia/api:1.4.2",
    replicas=1,
    healthcheck_path="/health",
    healthcheck_timeout_seconds=300,
    pre_deploy_command="npm run db:migrate:prod",
    variable_names=frozenset({"DATABASE_URL", "JWT_SECRET", "OTHER"}),
    active=running("ghcr.io/fixia/api:1.4.2"),
    latest=running("ghcr.io/fixia/api:1.4.2"),
)
WEB = LiveService(name="web", image="ghcr.io/fixia/web:2.0.0", replicas=2, active=running("ghcr.io/fixia/web:2.0.0"))
FRESH = BackupsFacts(backups=(BackupFact("b-fresh", NOW - timedelta(hours=3), 1000, True),))
DB = DatabaseFacts("15.4", 15, "15.4", 15, connections=10, max_connections=100, size_bytes=10**7)


def observed(
    api: dict[str, Any] | None = None,
    web: dict[str, Any] | None = None,
    *,
    services: tuple[LiveService, ...] | None = None,
    backups: BackupsFacts | Unreachable | None = FRESH,
    database: DatabaseFacts | Unreachable | None = DB,
    railway: Unreachable | None = None,
    staging: LiveService | None = None,
) -> ObservedState:
    live = services if services is not None else (replace(API, **(api or {})), replace(WEB, **(web or {})))
    production = ObservedEnvironment(
        name="production",
        observed_at=NOW,
        railway=railway or RailwayFacts(services=live),
        database=database,
        backups=backups,
    )
    envs = [production]
    if staging is not None:
        envs.append(ObservedEnvironment(name="staging", observed_at=NOW, railway=RailwayFacts(services=(staging,))))
    return ObservedState(environments=tuple(envs))


def old_api(version: str) -> dict[str, Any]:
    ref = f"ghcr.io/fixia/api:{version}"
    return {"image": ref, "active": running(ref), "latest": running(ref)}


# (id, desired patch, observed, [(address, before, after, action, policy)])
CASES: list[tuple[str, dict[str, Any], ObservedState, list[tuple[str, Any, Any, Action, Policy]]]] = [
    ("in sync", {}, observed(), []),
    (
        "version behind",
        {},
        observed(old_api("1.4.1")),
        [("production/api/version", "1.4.1", "1.4.2", Action.APPLY, Policy.REPORT)],
    ),
    (
        "version drift adopted",
        {"drift": {"fields": {"version": "adopt"}}},
        observed(old_api("1.4.1")),
        [("production/api/version", "1.4.1", "1.4.2", Action.ADOPT, Policy.ADOPT)],
    ),
    (
        "version drift corrected",
        {"drift": {"default": "correct"}},
        observed(old_api("1.4.1")),
        [("production/api/version", "1.4.1", "1.4.2", Action.APPLY, Policy.CORRECT)],
    ),
    (
        "configured but not yet running counts as not running",
        {},
        observed({"image": "ghcr.io/fixia/api:1.4.2", "active": running("ghcr.io/fixia/api:1.4.1")}),
        [("production/api/version", "1.4.1", "1.4.2", Action.APPLY, Policy.REPORT)],
    ),
    (
        "image moved registry",
        {},
        observed({"image": "docker.io/fixia/api:1.4.2"}),
        [("production/api/image", "docker.io/fixia/api", "ghcr.io/fixia/api", Action.APPLY, Policy.REPORT)],
    ),
    (
        "fixed replicas changed in the dashboard",
        {},
        observed({"replicas": 3}),
        [("production/api/replicas", 3, 1, Action.APPLY, Policy.REPORT)],
    ),
    (
        "fixed replicas adopted",
        {"drift": {"fields": {"replicas": "adopt"}}},
        observed({"replicas": 3}),
        [("production/api/replicas", 3, 1, Action.ADOPT, Policy.ADOPT)],
    ),
    ("replicas inside autoscaling bounds are not drift", {}, observed(web={"replicas": 5}), []),
    ("replicas at the lower bound are not drift", {}, observed(web={"replicas": 1}), []),
    (
        "replicas above the autoscaling bounds go back to max",
        {},
        observed(web={"replicas": 8}),
        [("production/web/replicas", 8, 5, Action.APPLY, Policy.REPORT)],
    ),
    (
        "replicas above bounds cannot be adopted (nothing in git to write)",
        {"drift": {"fields": {"replicas": "adopt"}}},
        observed(web={"replicas": 8}),
        [("production/web/replicas", 8, 5, Action.APPLY, Policy.ADOPT)],
    ),
    (
        "replicas below the autoscaling bounds go up to min",
        {"services": {"web": {"autoscaling": {"min": 2}, "replicas": 2}}},
        observed(web={"replicas": 1}),
        [("production/web/replicas", 1, 2, Action.APPLY, Policy.REPORT)],
    ),
    (
        "health check path",
        {"drift": {"fields": {"healthcheck": "correct"}}},
        observed({"healthcheck_path": "/healthz"}),
        [("production/api/healthcheck.path", "/healthz", "/health", Action.APPLY, Policy.CORRECT)],
    ),
    (
        "health check timeout",
        {},
        observed({"healthcheck_timeout_seconds": 60}),
        [("production/api/healthcheck.timeout", 60, 300, Action.APPLY, Policy.REPORT)],
    ),
    (
        "health check timeout adopted (written back as a duration by drift)",
        {"drift": {"fields": {"healthcheck": "adopt"}}},
        observed({"healthcheck_timeout_seconds": 60}),
        [("production/api/healthcheck.timeout", 60, 300, Action.ADOPT, Policy.ADOPT)],
    ),
    (
        "health check timeout unset in Railway cannot be adopted",
        {"drift": {"fields": {"healthcheck": "adopt"}}},
        observed({"healthcheck_timeout_seconds": None}),
        [("production/api/healthcheck.timeout", None, 300, Action.APPLY, Policy.ADOPT)],
    ),
    (
        "pre-deploy command",
        {"drift": {"fields": {"migrations": "adopt"}}},
        observed({"pre_deploy_command": "npm run migrate"}),
        [
            (
                "production/api/migrations.command",
                "npm run migrate",
                "npm run db:migrate:prod",
                Action.ADOPT,
                Policy.ADOPT,
            )
        ],
    ),
    (
        "a required variable is missing",
        {"drift": {"fields": {"variables": "adopt"}}},
        observed({"variable_names": frozenset({"DATABASE_URL"})}),
        [
            (
                "production/api/variables.required",
                ("DATABASE_URL",),
                ("DATABASE_URL", "JWT_SECRET"),
                Action.MANUAL,
                Policy.ADOPT,
            )
        ],
    ),
    (
        "a declared service is missing",
        {},
        observed(services=(API,)),
        [("production/web/service", None, "present", Action.MANUAL, Policy.REPORT)],
    ),
    ("an undeclared live service is left alone", {}, observed(services=(API, WEB, LiveService(name="cron"))), []),
    (
        "no verified backup",
        {},
        observed(backups=BackupsFacts()),
        [("production/backups/freshness", None, "verified, at most 1d2h old", Action.APPLY, Policy.CORRECT)],
    ),
    (
        "stale backup",
        {},
        observed(backups=BackupsFacts(backups=(BackupFact("b-old", NOW - timedelta(hours=30), 1, True),))),
        [("production/backups/freshness", "1d6h old", "verified, at most 1d2h old", Action.APPLY, Policy.CORRECT)],
    ),
    (
        "a fresh but unverified backup does not count",
        {},
        observed(
            backups=BackupsFacts(
                backups=(
                    BackupFact("b-new", NOW - timedelta(hours=1), 1, False),
                    BackupFact("b-old", NOW - timedelta(hours=27), 1, True),
                )
            )
        ),
        [("production/backups/freshness", "1d3h old", "verified, at most 1d2h old", Action.APPLY, Policy.CORRECT)],
    ),
    (
        "a backup just inside max_age is fresh",
        {"backups": {"max_age": "31h"}},
        observed(backups=BackupsFacts(backups=(BackupFact("b", NOW - timedelta(hours=31), 1, True),))),
        [],
    ),
    (
        "no backups declared means no freshness check",
        {"backups": None, "services": {"api": {"migrations": None}}},
        observed(backups=BackupsFacts()),
        [],
    ),
]


@pytest.mark.parametrize(("patch", "live", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan_table(
    patch: dict[str, Any], live: ObservedState, expected: list[tuple[str, Any, Any, Action, Policy]]
) -> None:
    result = plan(desired(patch), live)
    got = [(c.address, c.before, c.after, c.action, c.policy) for c in result.changes()]
    assert got == sorted(expected)
    assert result.has_changes == bool(expected)
    assert result.complete


def only(result: Any) -> Any:
    (change,) = result.changes()
    return change


def test_version_change_lists_gated_steps_in_order_and_its_risk() -> None:
    change = only(plan(desired(), observed(old_api("1.4.1"))))
    assert [s.name for s in change.steps] == ["deploy-window", "promotion", "backup", "deploy", "verify"]
    assert change.risk.restarts and change.risk.migrations and not change.risk.reversible
    assert change.source_path == ("services", "api", "version")
    assert "closed now" in change.steps[0].detail
    assert change.steps[4].detail == "health /health, version /version"


def test_environment_pipeline_starts_with_the_lock_and_has_each_step_once() -> None:
    result = plan(desired(), observed(old_api("1.4.1"), {"replicas": 9}))
    (env,) = result.environments
    assert [s.name for s in env.steps] == ["lock", "deploy-window", "promotion", "backup", "deploy", "scale", "verify"]


def test_version_without_migrations_is_reversible_and_backup_depends_on_policy() -> None:
    patch = {"services": {"web": {"version": "2.1.0"}}, "backups": {"before_deploy": "with_migrations"}}
    change = only(plan(desired(patch), observed()))
    assert change.risk.reversible and change.risk.restarts and not change.risk.migrations
    assert "backup" not in [s.name for s in change.steps]


def test_approval_gate_when_deploys_need_one() -> None:
    change = only(plan(desired({"approval": {"required_for": ["deploy"]}}), observed(old_api("1.4.1"))))
    assert [s.name for s in change.steps][:3] == ["deploy-window", "promotion", "approval"]


@pytest.mark.parametrize(
    ("staging_version", "ok"), [("1.4.2", True), ("1.4.1", False), (None, None)], ids=["promoted", "not yet", "unknown"]
)
def test_promotion_gate_reads_the_source_environment(staging_version: str | None, ok: bool | None) -> None:
    staging = None
    if staging_version is not None:
        ref = f"ghcr.io/fixia/api:{staging_version}"
        staging = LiveService(name="api", image=ref, active=running(ref))
    change = only(plan(desired(), observed(old_api("1.4.1"), staging=staging)))
    gate = change.steps[1]
    assert gate.name == "promotion" and gate.ok is ok


def repo_desired(staging_commit: str | None = None) -> tuple[DesiredState, ObservedState]:
    patch = {"services": {"web": {"image": None, "version": None, "repo": "fixia/web", "commit": "abc1234"}}}
    live = observed(
        web={"image": None, "repo": "fixia/web", "active": Deployment("d", "SUCCESS", commit="0ff1ce0" * 5)}
    )
    return desired(patch), live


def test_a_repo_source_is_compared_by_commit() -> None:
    want, live = repo_desired()
    change = only(plan(want, live))
    assert (change.address, change.before, change.after) == ("production/web/commit", "0ff1ce0" * 5, "abc1234")
    assert change.source_path == ("services", "web", "commit")
    in_sync = replace(
        live.environments[0],
        railway=RailwayFacts(
            services=(
                API,
                LiveService(
                    name="web",
                    repo="fixia/web",
                    replicas=2,
                    active=Deployment("d", "SUCCESS", commit="abc1234" + "0" * 33),
                ),
            )
        ),
    )
    assert plan(want, ObservedState(environments=(in_sync,))).changes() == ()


def test_scale_down_is_flagged_and_does_not_restart() -> None:
    change = only(plan(desired(), observed({"replicas": 3})))
    assert change.risk.scale_down and not change.risk.restarts and change.risk.reversible
    assert [s.name for s in change.steps] == ["scale", "verify"]


def test_adopted_changes_have_no_apply_steps() -> None:
    change = only(plan(desired({"drift": {"fields": {"replicas": "adopt"}}}), observed({"replicas": 3})))
    assert change.steps == ()
    assert change.source_path == ("services", "api", "replicas")


def test_a_failed_last_deploy_is_explained() -> None:
    failed = Deployment("d-9", "FAILED", "ghcr.io/fixia/api:1.4.2")
    change = only(plan(desired(), observed({**old_api("1.4.1"), "latest": failed})))
    assert "ended FAILED" in change.why


@pytest.mark.parametrize("provider", ["railway", "postgres", "s3"])
def test_an_unreachable_provider_makes_the_plan_incomplete_never_empty(provider: str) -> None:
    down = Unreachable(provider, "connection refused")
    kwargs: dict[str, Any] = {
        "railway": down if provider == "railway" else None,
        "database": down if provider == "postgres" else DB,
        "backups": down if provider == "s3" else FRESH,
    }
    result = plan(desired(), observed(**kwargs))
    assert not result.complete
    (env,) = result.environments
    assert env.unreachable == (down,)
    assert "INCOMPLETE" in env.summary()


def test_database_notes() -> None:
    db = DatabaseFacts("16.2", 16, "15.4", 15, connections=90, max_connections=100, size_bytes=1)
    (env,) = plan(desired(), observed(database=db)).environments
    assert env.notes == (
        "pg_dump 15.4 cannot dump PostgreSQL 16.2: install pg_dump 16 or newer before any backup",
        "90 of 100 connections in use (90% > 80%)",
    )
    assert not env.changes


def test_an_open_adopt_pr_is_noted_in_the_plan_and_its_markdown() -> None:
    from reconciler.render.markdown import render_markdown

    url = "https://github.example/fixia/infra/pull/8"
    pull = IssueRef(8, "Adopt live drift into git: production", url, "body")
    (live,) = observed({"replicas": 3}).environments
    with_pull = ObservedState((replace(live, github=GitHubFacts(adopt_pull=pull, pull_requests=(pull,))),))
    result = plan(desired({"drift": {"fields": {"replicas": "adopt"}}}), with_pull)
    (env,) = result.environments
    assert env.notes == (f"adopt PR #8 is open: Adopt live drift into git: production ({url})",)
    assert f"- :information_source: adopt PR #8 is open: Adopt live drift into git: production ({url})" in (
        render_markdown(result)
    )
    (without,) = plan(desired(), ObservedState((replace(live, github=GitHubFacts()),))).environments
    assert without.notes == ()


def test_plan_is_deterministic_and_only_plans_observed_environments() -> None:
    both = desired()
    assert plan(both, observed(old_api("1.4.1"))) == plan(both, observed(old_api("1.4.1")))
    assert plan(both, ObservedState()).environments == ()


# Every compared field under every policy: (policy field, live difference, address, adoptable into git).
FIELDS = [
    ("version", old_api("1.4.1"), "production/api/version", True),
    ("image", {"image": "docker.io/fixia/api:1.4.2"}, "production/api/image", True),
    ("replicas", {"replicas": 2}, "production/api/replicas", True),
    ("healthcheck", {"healthcheck_path": "/healthz"}, "production/api/healthcheck.path", True),
    ("healthcheck", {"healthcheck_timeout_seconds": 30}, "production/api/healthcheck.timeout", True),
    ("migrations", {"pre_deploy_command": "npm run migrate"}, "production/api/migrations.command", True),
]


@pytest.mark.parametrize("policy", list(Policy), ids=[p.value for p in Policy])
@pytest.mark.parametrize(("field", "live", "address", "adoptable"), FIELDS, ids=[f[2].split("/", 2)[2] for f in FIELDS])
def test_every_field_under_every_policy(
    field: str, live: dict[str, Any], address: str, adoptable: bool, policy: Policy
) -> None:
    change = only(plan(desired({"drift": {"fields": {field: policy.value}}}), observed(live)))
    assert change.address == address and change.policy is policy and change.is_drift
    if policy is Policy.ADOPT and adoptable:
        assert change.action is Action.ADOPT and change.steps == () and change.source_path is not None
    else:
        assert change.action is Action.APPLY and change.steps
