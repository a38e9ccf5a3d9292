"""Assemble the observed state of every environment from every provider at once (threads). Read-only.

Each (environment, provider) read runs on its own thread; a provider that fails becomes `Unreachable(reason)` in its
environment's record instead of failing the run, so the plan can say exactly what it could not see. The providers
are passed in already built (`Providers`), so tests and benchmarks hand in clients pointed at the stand-ins.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.desired.model import DesiredState, Environment
from reconciler.errors import ReconcilerError
from reconciler.observed import (
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

if TYPE_CHECKING:
    from reconciler.providers.github.records import GitHubPort
    from reconciler.providers.postgres_facts import DatabaseReading
    from reconciler.providers.railway.records import Deployment as RailwayDeployment
    from reconciler.providers.railway.records import EnvironmentRef, EnvironmentState, ServiceInstance
    from reconciler.providers.s3 import S3

DRIFT_LABEL = "drift"


def drift_key(environment: str) -> str:
    """The hidden-marker identity of an environment's drift issue."""
    return f"drift:{environment}"


def adopt_branch(environment: str) -> str:
    """The branch of an environment's adopt PR (one per environment, reused by every run)."""
    return f"reconciler/adopt-drift-{environment}"


def adopt_key(environment: str) -> str:
    """The hidden-marker identity the GitHub provider writes into the adopt PR's body (`pr:<branch>`)."""
    return f"pr:{adopt_branch(environment)}"


class RailwayReader(Protocol):
    def observe_environment(self, ref: EnvironmentRef) -> EnvironmentState: ...


@dataclass(frozen=True)
class Providers:
    """Built clients, or `Unreachable` when one could not even be built (no token...), or None when not wanted."""

    railway: RailwayReader | Unreachable | None = None
    s3: S3 | Unreachable | None = None
    github: GitHubPort | Unreachable | None = None
    database_url: Callable[[Environment], str | None] | None = None
    """Resolves an environment's database reference: None when its variable is not set (the database is then
    not observed, and the plan says so); raises a ReconcilerError when it cannot be resolved otherwise."""
    read_database: Callable[..., DatabaseReading] | None = None
    pg_dump_version: Callable[[], tuple[str, int] | None] | None = None
    """(version text, major) of the installed pg_dump, or None when it is not installed."""
    timings: dict[str, float] = field(default_factory=dict)
    """Filled by `observe`: seconds each (environment/provider) read took; for benchmarks and logs."""


def observe(
    desired: DesiredState,
    providers: Providers,
    *,
    environments: Iterable[str] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ObservedState:
    """Observe every named environment (default: all) from every provider concurrently. Read-only."""
    names = list(environments) if environments is not None else desired.names()
    with ThreadPoolExecutor(max_workers=max(4, 4 * len(names) + 1), thread_name_prefix="observe") as pool:

        def submit(label: str, fn: Callable[[], Any]) -> Future[Any]:
            return pool.submit(_timed, providers.timings, label, fn)

        pg_dump = submit("pg_dump", providers.pg_dump_version) if providers.pg_dump_version else None
        github = submit("github", lambda: _github(providers.github, names)) if providers.github else None
        per_env: dict[str, dict[str, Future[Any]]] = {}
        skipped: dict[str, tuple[str, ...]] = {}
        for name in names:
            env = desired[name]
            futures: dict[str, Future[Any]] = {}
            skipped[name] = _not_observed(env, providers)
            if providers.railway is not None:
                futures["railway"] = submit(f"{name}/railway", partial(_railway, providers.railway, env))
            if env.backups is not None and providers.s3 is not None:
                futures["s3"] = submit(f"{name}/s3", partial(_backups, providers.s3, env))
            if env.database is not None and providers.read_database and not skipped[name]:
                futures["postgres"] = submit(f"{name}/postgres", partial(_database, providers, env))
            per_env[name] = futures
        dump_version = _settle(pg_dump, "postgres") if pg_dump else None
        github_facts = _settle(github, "github") if github else None
        observed = []
        for name, futures in per_env.items():
            database = _settle(futures["postgres"], "postgres") if "postgres" in futures else None
            if isinstance(database, DatabaseFacts) and not isinstance(dump_version, Unreachable):
                version, major = dump_version or (None, None)
                database = _with_pg_dump(database, version, major)
            gh: GitHubFacts | Unreachable | None = None
            if isinstance(github_facts, dict):
                gh = github_facts[name]
            elif isinstance(github_facts, Unreachable):
                gh = github_facts
            observed.append(
                ObservedEnvironment(
                    name=name,
                    observed_at=now(),
                    railway=_settle(futures["railway"], "railway")
                    if "railway" in futures
                    else Unreachable("railway", "no Railway client configured"),
                    database=database,
                    backups=_settle(futures["s3"], "s3") if "s3" in futures else None,
                    github=gh,
                    not_observed=skipped[name],
                )
            )
    return ObservedState(environments=tuple(observed))


def _timed(timings: dict[str, float], label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        return fn()
    finally:
        timings[label] = time.perf_counter() - start


def _settle(future: Future[Any], provider: str) -> Any:
    """The provider's record, or `Unreachable` with the error's message (never a traceback, never a secret)."""
    try:
        return future.result()
    except ReconcilerError as e:
        return Unreachable(provider, str(e) or type(e).__name__)
    except OSError as e:
        return Unreachable(provider, f"{type(e).__name__}: {e.strerror or e}")


def _usable(client: Any) -> Any:
    if isinstance(client, Unreachable):
        raise _Down(client.reason)
    return client


class _Down(ReconcilerError):
    """A provider that could not be built; carried into `Unreachable` by `_settle`."""


# -- Railway ------------------------------------------------------------------------------------------------------


def _railway(client: RailwayReader | Unreachable | None, env: Environment) -> RailwayFacts:
    from reconciler.providers.railway.records import EnvironmentRef

    state = _usable(client).observe_environment(EnvironmentRef(env.railway.project, env.railway.environment))
    return RailwayFacts(services=tuple(_live_service(s) for s in state.services), config_etag=state.config_etag)


def _deployment(d: RailwayDeployment | None) -> Deployment | None:
    if d is None:
        return None
    return Deployment(id=d.id, status=d.status, image=d.image, created_at=d.created_at, commit=d.commit)


def _live_service(s: ServiceInstance) -> LiveService:
    command = " ".join(s.pre_deploy_command) if s.pre_deploy_command else None
    return LiveService(
        name=s.name,
        image=s.image,
        repo=s.repo,
        replicas=s.replicas,
        healthcheck_path=s.healthcheck_path,
        healthcheck_timeout_seconds=s.healthcheck_timeout,
        pre_deploy_command=command,
        start_command=s.start_command,
        variable_names=s.variable_names,
        active=_deployment(s.active),
        latest=_deployment(s.latest),
    )


# -- S3 -----------------------------------------------------------------------------------------------------------


def _backups(s3: S3 | Unreachable | None, env: Environment) -> BackupsFacts:
    from reconciler.backup.catalog import list_backups, to_facts

    assert env.backups is not None
    return to_facts(list_backups(_usable(s3), env.backups.bucket, env.backups.prefix))


# -- PostgreSQL ---------------------------------------------------------------------------------------------------


def _not_observed(env: Environment, providers: Providers) -> tuple[str, ...]:
    """Why the database is left out, when it is; resolving the reference here keeps it off the worker threads."""
    if env.database is None or providers.read_database is None:
        return ()
    if providers.database_url is None:
        return ("postgres: no database access configured",)
    try:
        if providers.database_url(env) is None:
            return (f"postgres: not observed, {env.database.url} is not set",)
    except ReconcilerError:
        return ()  # an unresolvable reference is reported by the read itself, as unreachable
    return ()


def _database(providers: Providers, env: Environment) -> DatabaseFacts:
    assert providers.database_url is not None and providers.read_database is not None
    tables = {s.migrations.table for s in env.services.values() if s.migrations and s.migrations.table}
    table = sorted(tables)[0] if tables else None
    url = providers.database_url(env)
    assert url is not None
    reading = providers.read_database(url, migrations_table=table)
    return DatabaseFacts(
        server_version=reading.server_version,
        server_major=reading.server_major,
        pg_dump_version=None,
        pg_dump_major=None,
        connections=reading.connections,
        max_connections=reading.max_connections,
        size_bytes=reading.size_bytes,
        applied_migrations=reading.applied_migrations,
    )


def _with_pg_dump(db: DatabaseFacts, version: str | None, major: int | None) -> DatabaseFacts:
    from dataclasses import replace

    return replace(db, pg_dump_version=version, pg_dump_major=major)


def installed_pg_dump() -> tuple[str, int] | None:
    """The local pg_dump's version, or None when there is none (the plan then notes that backups cannot run)."""
    from reconciler.errors import PermanentError
    from reconciler.providers.pgdump import client_version

    try:
        found = client_version()
    except PermanentError:
        return None
    return found.text, found.major


# -- GitHub -------------------------------------------------------------------------------------------------------


def _github(client: GitHubPort | Unreachable | None, names: list[str]) -> dict[str, GitHubFacts]:
    """ONE listing of open `drift`-labelled items answers every environment: GitHub's issue list holds pull
    requests too, and the adopt PR carries the `drift` label, so its drift issue and its adopt PR come together."""
    port = _usable(client)
    items = port.list_open(DRIFT_LABEL)

    def first(key: str, pull: bool) -> IssueRef | None:
        found = next((i for i in items if i.key == key and i.is_pull == pull), None)
        return IssueRef(found.number, found.title, found.url, found.body) if found else None

    facts = {}
    for name in names:
        adopt = first(adopt_key(name), pull=True)
        facts[name] = GitHubFacts(
            drift_issue=first(drift_key(name), pull=False),
            pull_requests=(adopt,) if adopt else (),
            adopt_pull=adopt,
        )
    return facts
