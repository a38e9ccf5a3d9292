"""Observing environments against the emulator over a real socket: one request per environment, every field."""

from __future__ import annotations

import pytest

from reconciler.providers.railway import NotAuthorized, NotFound, RailwayClient
from reconciler.providers.railway.records import DeploymentState, EnvironmentRef, RegionReplicas
from reconciler.sandbox.railway import EmulatorServer
from tests.railway_client.conftest import ClientFactory

pytestmark = pytest.mark.integration

PRODUCTION = EnvironmentRef("fixia", "production")
STAGING = EnvironmentRef("fixia", "staging")


def test_one_request_reads_every_service_instance_field_of_an_environment(
    railway_server: EmulatorServer, client: RailwayClient
) -> None:
    state = client.observe_environment("env-prod")
    assert railway_server.requests_by_operation == {"EnvironmentState": 1}
    assert state.requests == 1
    assert (state.project_id, state.environment_id, state.environment_name) == ("proj-fixia", "env-prod", "production")
    assert state.config_etag
    assert [s.name for s in state.services] == ["api", "postgres", "web"]
    api = state.service("api")
    assert api is not None and api.service_id == "svc-api"
    assert api.image == "ghcr.io/fixia/api:1.4.2" and api.repo is None
    assert api.replicas == 2 and api.regions == (RegionReplicas("us-west2", 2),)
    assert (api.healthcheck_path, api.healthcheck_timeout) == ("/health", 300)
    assert api.pre_deploy_command == ("npm run db:migrate:prod",)
    assert api.start_command == "node dist/main.js"
    assert (api.restart_policy.type, api.restart_policy.max_retries) == ("ON_FAILURE", 0)
    assert api.latest is not None and api.active is not None
    assert api.active.status == "SUCCESS" and api.active.state is DeploymentState.SUCCEEDED
    assert api.active.image == "ghcr.io/fixia/api:1.4.2"
    assert api.latest.id == api.active.id and api.active.created_at is not None
    assert api.active.can_rollback is False  # the live deployment is not a rollback target
    assert api.variable_names == frozenset({"JWT_SECRET", "DATABASE_URL", "SEALED_KEY"})
    assert api.missing_variables({"JWT_SECRET", "SMTP_PASSWORD"}) == ("SMTP_PASSWORD",)
    assert state.shared_variable_names == frozenset({"NODE_ENV"})
    postgres = state.service("postgres")
    assert postgres is not None and postgres.latest is None and postgres.active is None
    assert [(v.volume_name, v.mount_path, v.backup_schedules) for v in postgres.volumes] == [
        ("pgdata", "/var/lib/postgresql/data", ("DAILY", "WEEKLY"))
    ]
    assert state.volumes == postgres.volumes


def test_variable_values_are_never_read_or_held(client: RailwayClient) -> None:
    state = client.observe_environment("env-prod")
    assert "jwt-secret-value" not in repr(state)
    assert "postgresql://app" not in repr(state)


def test_names_resolve_once_per_project_and_environments_are_observed_concurrently(
    railway_server: EmulatorServer, client: RailwayClient
) -> None:
    states = client.observe_environments([PRODUCTION, STAGING])
    assert [s.environment_name for s in states] == ["production", "staging"]
    assert railway_server.requests_by_operation == {"Projects": 1, "EnvironmentState": 2}
    staging_api = states[1].service("api")
    assert staging_api is not None and staging_api.replicas == 1 and staging_api.latest is None


def test_resolve_gives_ids_for_names_and_accepts_ids(client: RailwayClient) -> None:
    resolved = client.resolve(PRODUCTION)
    assert (resolved.project_id, resolved.environment_id) == ("proj-fixia", "env-prod")
    assert resolved.service_id("api") == "svc-api" and resolved.service_id("svc-web") == "svc-web"
    assert client.resolve(EnvironmentRef("proj-fixia", "env-staging")).environment_name == "staging"


def test_long_lists_are_paged_and_nothing_else_is_fetched_twice(
    railway_server: EmulatorServer, make_client: ClientFactory
) -> None:
    client = make_client(railway_server, page_size=1)
    state = client.observe_environment("env-prod")
    counts = railway_server.requests_by_operation
    # 3 service instances at one per page: two more pages of instances; the one volume fits in the first page.
    assert counts == {"EnvironmentState": 1, "EnvironmentServiceInstancesPage": 2}
    assert state.requests == 3
    assert [s.name for s in state.services] == ["api", "postgres", "web"]
    assert state.service("api").variable_names == frozenset({"JWT_SECRET", "DATABASE_URL", "SEALED_KEY"})  # type: ignore[union-attr]


def test_unknown_names_and_ids_are_not_found(client: RailwayClient) -> None:
    with pytest.raises(NotFound, match="no environment 'qa'"):
        client.observe_environment(EnvironmentRef("fixia", "qa"))
    with pytest.raises(NotFound, match="no project named 'nope'"):
        client.observe_environment(EnvironmentRef("nope", "production"))
    with pytest.raises(NotFound, match="Environment not found"):
        client.observe_environment("env-missing")


def test_a_project_token_resolves_its_own_project(railway_server: EmulatorServer, make_client: ClientFactory) -> None:
    client = make_client(railway_server, token="project-token-staging", variable="RAILWAY_TOKEN")
    state = client.observe_environment(STAGING)
    assert state.environment_id == "env-staging"
    assert railway_server.requests_by_operation["ProjectToken"] == 1


def test_a_refused_token_is_not_authorized(railway_server: EmulatorServer, make_client: ClientFactory) -> None:
    client = make_client(railway_server, token="project-token-staging", variable="RAILWAY_TOKEN")
    with pytest.raises(NotAuthorized):
        client.transport.execute("Projects", {"first": 10})


def test_threads_observing_one_project_by_name_share_one_resolution(
    railway_server: EmulatorServer, client: RailwayClient
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        states = list(pool.map(client.observe_environment, [PRODUCTION, STAGING, PRODUCTION, STAGING]))
    assert [s.environment_name for s in states] == ["production", "staging"] * 2
    assert railway_server.requests_by_operation == {"Projects": 1, "EnvironmentState": 4}


def test_refs_by_railway_ids_cost_exactly_one_request_per_environment(
    make_railway_server: object, make_client: ClientFactory
) -> None:
    import copy
    import uuid

    from tests.fixtures.railway import RAILWAY_SEED

    seed = copy.deepcopy(RAILWAY_SEED)
    project_id, prod_id, staging_id = (str(uuid.uuid4()) for _ in range(3))
    seed["projects"][0]["id"] = project_id
    seed["projects"][0]["environments"][0]["id"] = prod_id
    seed["projects"][0]["environments"][1]["id"] = staging_id
    server = make_railway_server(seed=seed, processes=False)  # type: ignore[operator]
    client = make_client(server)
    states = client.observe_environments([EnvironmentRef(project_id, prod_id), EnvironmentRef(project_id, staging_id)])
    assert [s.environment_name for s in states] == ["production", "staging"]
    assert server.requests_by_operation == {"EnvironmentState": 2}
    with pytest.raises(NotFound, match="is not in project"):
        client.observe_environment(EnvironmentRef(str(uuid.uuid4()), prod_id))
