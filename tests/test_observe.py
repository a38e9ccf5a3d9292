"""`observe` with small stateful fakes of our own provider interfaces: concurrency and failure handling.

The real providers are exercised over sockets in test_plan_integration.py; here the point is the assembly: every
(environment, provider) read runs at once, and a failing provider becomes `Unreachable`, never an empty record.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired.load import load_desired_state
from reconciler.errors import PermanentError, TemporaryError
from reconciler.observe import Providers, observe
from reconciler.observed import DatabaseFacts, GitHubFacts, IssueRef, RailwayFacts, Unreachable
from reconciler.providers.github.records import OpenItem
from reconciler.providers.postgres_facts import DatabaseReading
from reconciler.providers.railway.records import EnvironmentRef, EnvironmentState, RestartPolicy, ServiceInstance

DESIRED = load_desired_state(Path(__file__).resolve().parents[1] / "desired-state")
DELAY = 0.3


@dataclass
class FakeRailway:
    fail: dict[str, Exception] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def observe_environment(self, ref: EnvironmentRef) -> EnvironmentState:
        with self.lock:
            self.calls.append(ref.environment)
        time.sleep(DELAY)
        if ref.environment in self.fail:
            raise self.fail[ref.environment]
        api = ServiceInstance(
            service_id="s1",
            name="api",
            instance_id="i1",
            image="ghcr.io/fixia/api:1.4.2",
            repo=None,
            replicas=1,
            regions=(),
            region="us-west2",
            healthcheck_path="/health",
            healthcheck_timeout=300,
            pre_deploy_command=("npm", "run", "db:migrate:prod"),
            start_command=None,
            restart_policy=RestartPolicy("ON_FAILURE", 3),
            latest=None,
            active=None,
            variable_names=frozenset({"JWT_SECRET"}),
        )
        return EnvironmentState("p", f"e-{ref.environment}", ref.environment, "etag", (api,))


def reading(url: str, migrations_table: str | None = None) -> DatabaseReading:
    time.sleep(DELAY)
    if "down" in url:
        raise TemporaryError("PostgreSQL 127.0.0.1:1/app: connect failed: refused")
    return DatabaseReading("15.4", 150004, 3, 100, 1000, ("m1",) if migrations_table else None)


@dataclass
class FakeGitHub:
    items: tuple[OpenItem, ...] = ()
    calls: list[str] = field(default_factory=list)

    def list_open(self, label: str) -> tuple[OpenItem, ...]:
        self.calls.append(label)
        time.sleep(DELAY / 3)
        return self.items


def providers(**overrides: Any) -> Providers:
    values: dict[str, Any] = {
        "railway": FakeRailway(),
        "github": FakeGitHub(),
        "database_url": lambda env: f"postgresql://{env.environment}",
        "read_database": reading,
        "pg_dump_version": lambda: (time.sleep(DELAY), ("15.4", 15))[1],
    }
    values.update(overrides)
    return Providers(**values)


def test_every_provider_and_environment_is_observed_at_once() -> None:
    built = providers()
    start = time.perf_counter()
    state = observe(DESIRED, built)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.5 * DELAY, f"{elapsed:.2f}s: reads ran one after another"
    production = state.environment("production")
    assert production is not None
    assert isinstance(production.railway, RailwayFacts)
    api = production.railway.service("api")
    assert api is not None and api.pre_deploy_command == "npm run db:migrate:prod"
    assert isinstance(production.database, DatabaseFacts)
    assert production.database.applied_migrations == ("m1",)
    assert production.database.pg_dump_compatible
    assert production.github == GitHubFacts()
    assert production.backups is None  # no S3 client given: not asked, not unreachable
    assert set(built.timings) >= {"production/railway", "staging/postgres", "github", "pg_dump"}


@pytest.mark.parametrize(
    "error",
    [TemporaryError("Railway answered 503 four times"), PermanentError("not authorised"), ConnectionResetError()],
    ids=["temporary", "permanent", "oserror"],
)
def test_a_failing_provider_is_unreachable_in_that_environment_only(error: Exception) -> None:
    railway = FakeRailway(fail={"staging": error})
    state = observe(DESIRED, providers(railway=railway))
    staging, production = state.environment("staging"), state.environment("production")
    assert staging is not None and production is not None
    assert isinstance(staging.railway, Unreachable) and staging.railway.provider == "railway"
    assert staging.railway.reason
    assert isinstance(production.railway, RailwayFacts)


def test_a_client_that_could_not_be_built_is_unreachable_everywhere() -> None:
    state = observe(DESIRED, providers(railway=Unreachable("railway", "no Railway token")))
    assert all(env.railway == Unreachable("railway", "no Railway token") for env in state.environments)


def test_database_failure_and_missing_pg_dump() -> None:
    built = providers(database_url=lambda env: "postgresql://down", pg_dump_version=lambda: None)
    state = observe(DESIRED, built, environments=["staging"])
    (staging,) = state.environments
    assert isinstance(staging.database, Unreachable)
    assert "127.0.0.1:1/app" in staging.database.reason


def test_a_bug_in_a_provider_is_not_hidden() -> None:
    railway = FakeRailway(fail={"staging": KeyError("bug")})
    with pytest.raises(KeyError):
        observe(DESIRED, providers(railway=railway))


def test_an_unset_database_variable_is_not_observed_and_said_so() -> None:
    state = observe(DESIRED, providers(database_url=lambda env: None), environments=["production"])
    (production,) = state.environments
    assert production.database is None
    assert production.not_observed == ("postgres: not observed, {env: DATABASE_URL} is not set",)
    assert production.unreachable == ()


def test_one_github_listing_finds_each_environments_drift_issue_and_adopt_pr() -> None:
    url = "https://github.example/fixia/infra"
    github = FakeGitHub(
        items=(
            OpenItem(5, "a person's question", "drift:staging is odd", f"{url}/issues/5", False, None),
            OpenItem(7, "Drift in staging", "b", f"{url}/issues/7", False, "drift:staging"),
            OpenItem(
                8, "Adopt live drift into git: staging", "p", f"{url}/pull/8", True, "pr:reconciler/adopt-drift-staging"
            ),
            OpenItem(9, "Drift in production", "b", f"{url}/issues/9", False, "drift:production"),
            OpenItem(10, "not ours", "p", f"{url}/pull/10", True, "pr:reconciler/adopt-drift-staging-eu"),
        )
    )
    state = observe(DESIRED, providers(github=github))
    assert github.calls == ["drift"]  # one listing for every environment
    staging, production = state.environment("staging"), state.environment("production")
    assert staging is not None and production is not None
    adopt = IssueRef(8, "Adopt live drift into git: staging", f"{url}/pull/8", "p")
    assert staging.github == GitHubFacts(
        drift_issue=IssueRef(7, "Drift in staging", f"{url}/issues/7", "b"), pull_requests=(adopt,), adopt_pull=adopt
    )
    assert production.github == GitHubFacts(drift_issue=IssueRef(9, "Drift in production", f"{url}/issues/9", "b"))
