"""The emulator serves Railway's real schema: bad documents, unknown fields and missing auth fail as Railway's do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.railway import EmulatorServer
from reconciler.sandbox.railway.schema import SHARED_SCHEMA, VENDORED_SCHEMA, load_schema
from tests.sandbox_railway.conftest import post

OPERATIONS = Path(__file__).resolve().parents[2] / "reconciler" / "providers" / "railway" / "operations"


@pytest.fixture
def railway_server(make_railway_server: Any) -> EmulatorServer:
    """These tests need no demo app processes: the simulated lifecycle is enough, and much faster."""
    server: EmulatorServer = make_railway_server(processes=False)
    return server


def test_vendored_schema_is_the_shared_one() -> None:
    if not SHARED_SCHEMA.is_file():
        pytest.skip("no shared schema next to the repository")
    assert VENDORED_SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_schema_setting_overrides_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sdl = tmp_path / "tiny.graphql"
    sdl.write_text("type Query { hello: String }\n")
    monkeypatch.setenv("RECONCILER_RAILWAY_SCHEMA", str(sdl))
    assert set(load_schema().query_type.fields) == {"hello"}  # type: ignore[union-attr]


def test_a_field_missing_from_the_schema_is_a_validation_error(railway_server: EmulatorServer) -> None:
    response = post(railway_server, '{ environment(id: "env-prod") { id multiRegionConfig } }')
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == "Cannot query field 'multiRegionConfig' on type 'Environment'."
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in response.json()


def test_a_docs_example_that_selects_fields_of_a_boolean_is_rejected(railway_server: EmulatorServer) -> None:
    # Railway's own docs select { id status } on deploymentRollback, which returns Boolean!.
    response = post(railway_server, 'mutation { deploymentRollback(id: "x") { id status } }')
    assert response.status_code == 200
    assert "must not have a selection" in response.json()["errors"][0]["message"]


def test_an_input_field_that_does_not_exist_is_rejected(railway_server: EmulatorServer) -> None:
    query = '{ deployments(input: {serviceId: "svc-api", status: {successfulOnly: true}}) { edges { node { id } } } }'
    response = post(railway_server, query)
    assert "successfulOnly" in response.json()["errors"][0]["message"]


def test_an_unparseable_document_is_http_400(railway_server: EmulatorServer) -> None:
    response = post(railway_server, "{ environment(id: ")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_a_body_that_is_not_json_is_http_400(railway_server: EmulatorServer) -> None:
    import httpx

    response = httpx.post(railway_server.url, content=b"not json", headers={"Authorization": "Bearer t"})
    assert response.status_code == 400


def test_a_field_the_emulator_does_not_implement_is_an_error_not_a_null(railway_server: EmulatorServer) -> None:
    response = post(railway_server, '{ environment(id: "env-prod") { id deploymentTriggers { edges { cursor } } } }')
    body = response.json()
    assert body["errors"][0]["message"] == "not implemented by the emulator: Environment.deploymentTriggers"
    assert body["errors"][0]["path"] == ["environment", "deploymentTriggers"]


def test_an_unimplemented_root_field_names_itself(railway_server: EmulatorServer) -> None:
    body = post(railway_server, "{ regions { name } }").json()
    assert body["errors"][0]["message"] == "not implemented by the emulator: Query.regions"


def test_no_token_is_not_authorized(railway_server: EmulatorServer) -> None:
    response = post(railway_server, "{ projects { edges { node { id } } } }", headers={})
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "Not Authorized"
    assert response.json()["data"] is None


def test_a_project_token_knows_its_environment_and_cannot_list_projects(railway_server: EmulatorServer) -> None:
    headers = {"Project-Access-Token": "project-token-staging"}
    body = post(railway_server, "{ projectToken { projectId environmentId } }", headers=headers).json()
    assert body["data"]["projectToken"] == {"projectId": "proj-fixia", "environmentId": "env-staging"}
    refused = post(railway_server, "{ projects { edges { node { id } } } }", headers=headers).json()
    assert refused["errors"][0]["message"] == "Not Authorized"


def test_a_missing_entity_is_a_graphql_error(railway_server: EmulatorServer) -> None:
    body = post(railway_server, '{ environment(id: "nope") { id } }').json()
    assert body["errors"][0]["message"] == "Environment not found"
    assert body["data"] is None


def _operation_files() -> list[Path]:
    return sorted(p for p in OPERATIONS.glob("*.graphql") if not p.name.startswith("_")) if OPERATIONS.is_dir() else []


# Sample variables for the client's documents (reconciler/providers/railway/operations), by operation name.
SAMPLE_VARIABLES: dict[str, dict[str, Any]] = {
    "Projects": {"first": 10},
    "Project": {"id": "proj-fixia", "first": 10},
    "EnvironmentState": {"id": "env-prod", "first": 50},
    "EnvironmentServiceInstancesPage": {"id": "env-prod", "first": 1, "after": None},
    "EnvironmentVariablesPage": {"id": "env-prod", "first": 2},
    "EnvironmentVolumeInstancesPage": {"id": "env-prod", "first": 1},
    "EnvironmentStagedChanges": {"environmentId": "env-prod"},
    "EnvironmentStageChanges": {"environmentId": "env-prod", "input": {}, "merge": True},
    "EnvironmentPatchCommit": {"environmentId": "env-prod", "patch": {}, "commitMessage": "test"},
    "LatestDeployment": {"environmentId": "env-prod", "serviceId": "svc-api"},
    "VariableCollectionUpsert": {
        "input": {
            "projectId": "proj-fixia",
            "environmentId": "env-prod",
            "serviceId": "svc-api",
            "variables": {"X": "1"},
            "skipDeploys": True,
        }  # fmt: skip
    },
    "Metrics": {
        "environmentId": "env-prod",
        "serviceId": "svc-api",
        "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-01-01T00:05:00Z",
        "sampleRateSeconds": 60,
        "measurements": ["CPU_USAGE", "MEMORY_USAGE_GB"],
    },  # fmt: skip
    "HttpMetrics": {
        "environmentId": "env-prod",
        "serviceId": "svc-api",
        "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-01-01T00:05:00Z",
        "stepSeconds": 60,
    },  # fmt: skip
}
NEEDS_A_DEPLOYMENT = {"Deployment", "DeploymentEvents", "DeploymentRedeploy", "DeploymentRestart"}


@pytest.mark.parametrize("path", _operation_files(), ids=lambda p: p.stem)
def test_the_emulator_resolves_every_field_of_the_clients_documents(make_railway_server: Any, path: Path) -> None:
    server: EmulatorServer = make_railway_server(processes=False)
    name = path.stem
    fragments = (OPERATIONS / "_fragments.graphql").read_text() if (OPERATIONS / "_fragments.graphql").exists() else ""
    # Only the fragments a document uses may be sent (unused fragments fail validation).
    document = _with_used_fragments(path.read_text(), fragments)
    live = server.emulator.active_deployments("env-prod", "svc-api")[0].id
    previous = next(d.id for d in server.emulator.deployments_of("env-prod", "svc-api") if d.status == "REMOVED")
    if name in NEEDS_A_DEPLOYMENT or name == "DeploymentRollback":
        variables: dict[str, Any] = {"id": previous if name == "DeploymentRollback" else live, "first": 20}
    elif name == "EnvironmentPatchCommitStaged":
        server.emulator.stage("env-prod", {"services": {"svc-web": {"deploy": {"numReplicas": 2}}}}, True)
        variables = {"environmentId": "env-prod", "commitMessage": "staged"}
    elif name == "ProjectToken":
        variables = {}
    elif name == "ServiceInstanceDeployV2":
        variables = {"environmentId": "env-prod", "serviceId": "svc-web"}
    elif name in SAMPLE_VARIABLES:
        variables = SAMPLE_VARIABLES[name]
    else:
        variables = _guess_variables(document, live)
    headers = {"Project-Access-Token": "project-token-staging"} if name == "ProjectToken" else None
    response = post(server, document, variables, **({"headers": headers} if headers else {}))
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body.get("errors")
    assert body["data"] is not None


# Values for the usual variable names, so a document added later is exercised without a table entry.
USUAL_VALUES: dict[str, Any] = {
    "environmentId": "env-prod", "serviceId": "svc-api", "projectId": "proj-fixia", "first": 10,
    "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-01-01T00:05:00Z",
}  # fmt: skip


def _guess_variables(document: str, deployment_id: str) -> dict[str, Any]:
    from graphql import NonNullTypeNode, OperationDefinitionNode, parse

    (operation,) = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    variables: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in USUAL_VALUES or name == "id":
            variables[name] = deployment_id if name == "id" else USUAL_VALUES[name]
        elif isinstance(definition.type, NonNullTypeNode) and definition.default_value is None:
            pytest.skip(f"no sample value for the required variable ${name}")
    return variables


def _with_used_fragments(document: str, fragments: str) -> str:
    """The document plus the fragments it spreads, transitively."""
    from graphql import FragmentDefinitionNode, FragmentSpreadNode, parse, print_ast, visit
    from graphql.language import Visitor

    definitions = {d.name.value: d for d in parse(fragments).definitions if isinstance(d, FragmentDefinitionNode)} if (
        fragments.strip()
    ) else {}  # fmt: skip
    needed: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            if node.name.value not in needed:
                needed.add(node.name.value)
                visit(definitions[node.name.value], Spreads())

    visit(parse(document), Spreads())
    return document + "\n" + "\n".join(print_ast(definitions[name]) for name in sorted(needed))


def test_a_seeded_project_token_reaches_only_its_own_environment(railway_server: EmulatorServer) -> None:
    headers = {"Project-Access-Token": "project-token-staging"}
    own = post(railway_server, '{ environment(id: "env-staging") { name } }', headers=headers).json()
    assert own["data"]["environment"]["name"] == "staging"
    other = post(railway_server, '{ environment(id: "env-prod") { name } }', headers=headers).json()
    assert other["errors"][0]["message"] == "Not Authorized"
    live = railway_server.emulator.active_deployments("env-prod", "svc-api")[0].id
    restart = "mutation($id: String!) { deploymentRestart(id: $id) }"
    refused = post(railway_server, restart, {"id": live}, headers=headers)
    assert refused.json()["errors"][0]["message"] == "Not Authorized"
    unseeded = {"Project-Access-Token": "any-other-token"}
    assert "errors" not in post(railway_server, '{ environment(id: "env-prod") { name } }', headers=unseeded).json()
