"""Environment patches merge as Railway documents them, and each kind of change starts what it should."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox.railway import EmulatorServer
from tests.sandbox_railway.conftest import Gql, deployments, post

COMMIT = """mutation($e: String!, $p: EnvironmentConfig, $m: String) {
  environmentPatchCommit(environmentId: $e, patch: $p, commitMessage: $m) }"""
STATE = """query($id: String!, $decrypt: Boolean) { environment(id: $id) { configEtag config(decryptVariables: $decrypt)
  serviceInstances { edges { node { serviceId numReplicas region source { image } healthcheckPath
    preDeployCommand restartPolicyType } } } } }"""


@pytest.fixture
def railway_server(make_railway_server: Any) -> EmulatorServer:
    """These tests need no demo app processes: the simulated lifecycle is enough, and much faster."""
    server: EmulatorServer = make_railway_server(processes=False)
    return server


def state(gql: Gql, decrypt: bool = False) -> dict[str, Any]:
    environment: dict[str, Any] = gql(STATE, id="env-prod", decrypt=decrypt)["environment"]
    return environment


def instance(gql: Gql, service_id: str) -> dict[str, Any]:
    nodes = [edge["node"] for edge in state(gql)["serviceInstances"]["edges"]]
    return next(node for node in nodes if node["serviceId"] == service_id)


def test_null_deletes_a_key_and_other_keys_merge(gql: Gql) -> None:
    gql(COMMIT, e="env-prod", p={"services": {"svc-api": {
        "deploy": {"multiRegionConfig": {"europe-west4-drams3a": {"numReplicas": 1}}, "startCommand": None},
        "variables": {"JWT_SECRET": None, "NEW_ONE": {"value": "n"}},
    }}})  # fmt: skip
    config = state(gql, decrypt=True)["config"]["services"]["svc-api"]
    assert config["deploy"]["multiRegionConfig"] == {
        "us-west2": {"numReplicas": 2},
        "europe-west4-drams3a": {"numReplicas": 1},
    }
    assert "startCommand" not in config["deploy"]
    assert config["deploy"]["healthcheckPath"] == "/health"
    assert "JWT_SECRET" not in config["variables"]
    assert config["variables"]["NEW_ONE"] == {"value": "n"}
    gql(COMMIT, e="env-prod", p={"services": {"svc-api": {"deploy": {"multiRegionConfig": {"us-west2": None}}}}})
    assert instance(gql, "svc-api")["numReplicas"] == 1
    assert instance(gql, "svc-api")["region"] == "europe-west4-drams3a"


def test_config_etag_changes_on_every_commit_even_an_empty_one(gql: Gql) -> None:
    first = state(gql)["configEtag"]
    gql(COMMIT, e="env-prod", p={})
    second = state(gql)["configEtag"]
    gql(COMMIT, e="env-prod", p={"services": {"svc-web": {"deploy": {"numReplicas": 3}}}})
    third = state(gql)["configEtag"]
    assert len({first, second, third}) == 3


def test_an_image_change_starts_a_deployment_that_reaches_success(railway_server: EmulatorServer, gql: Gql) -> None:
    before = deployments(railway_server, "svc-api")
    gql(COMMIT, e="env-prod", p={"services": {"svc-api": {"source": {"image": "ghcr.io/fixia/api:1.4.3"}}}})
    after = deployments(railway_server, "svc-api")
    assert len(after) == len(before) + 1
    new = after[0]
    assert new["meta"]["image"] == "ghcr.io/fixia/api:1.4.3"
    assert railway_server.emulator.wait_for(new["id"], {"SUCCESS", "FAILED", "CRASHED"}) == "SUCCESS"
    assert instance(gql, "svc-api")["source"]["image"] == "ghcr.io/fixia/api:1.4.3"


def test_a_replicas_only_patch_scales_without_a_build_or_new_deployment(
    railway_server: EmulatorServer, gql: Gql
) -> None:
    before = deployments(railway_server, "svc-api")
    gql(COMMIT, e="env-prod", p={"services": {"svc-api": {"deploy": {"multiRegionConfig": {
        "us-west2": {"numReplicas": 3}, "us-east4-eqdc4a": {"numReplicas": 1}}}}}})  # fmt: skip
    after = deployments(railway_server, "svc-api")
    assert [d["id"] for d in after] == [d["id"] for d in before]
    live = railway_server.emulator.deployment(after[0]["id"])
    assert live.status == "SUCCESS" and live.replicas == 4
    assert live.manifest["deploy"]["multiRegionConfig"]["us-east4-eqdc4a"] == {"numReplicas": 1}
    assert instance(gql, "svc-api")["numReplicas"] == 4


def test_variables_are_shown_without_values_unless_decrypted_and_sealed_never(gql: Gql) -> None:
    plain = state(gql)["config"]["services"]["svc-api"]["variables"]
    assert plain["JWT_SECRET"] == {}
    decrypted = state(gql, decrypt=True)["config"]["services"]["svc-api"]["variables"]
    assert decrypted["JWT_SECRET"] == {"value": "jwt-secret-value"}
    assert decrypted["SEALED_KEY"] == {"isSealed": True}
    values = gql("""{ variables(projectId: "proj-fixia", environmentId: "env-prod", serviceId: "svc-api") }""")
    assert values["variables"] == {
        "JWT_SECRET": "jwt-secret-value",
        "DATABASE_URL": "postgresql://app@127.0.0.1:5432/app",
    }


def test_staged_changes_apply_only_when_committed(railway_server: EmulatorServer, gql: Gql) -> None:
    stage = """mutation($e: String!, $p: EnvironmentConfig!, $merge: Boolean) {
      environmentStageChanges(environmentId: $e, input: $p, merge: $merge) { id status patch } }"""
    gql(stage, e="env-prod", p={"services": {"svc-web": {"deploy": {"numReplicas": 2}}}}, merge=True)
    staged = gql(stage, e="env-prod", p={"services": {"svc-web": {"source": {"image": "ghcr.io/fixia/web:2.1.0"}}}},
                 merge=True)["environmentStageChanges"]  # fmt: skip
    assert staged["status"] == "STAGED"
    assert staged["patch"] == {"services": {"svc-web": {"deploy": {"numReplicas": 2},
                                                        "source": {"image": "ghcr.io/fixia/web:2.1.0"}}}}  # fmt: skip
    assert instance(gql, "svc-web")["numReplicas"] == 1
    before = len(deployments(railway_server, "svc-web"))
    gql("""mutation { environmentPatchCommitStaged(environmentId: "env-prod", commitMessage: "go") }""")
    assert instance(gql, "svc-web")["numReplicas"] == 2
    assert instance(gql, "svc-web")["source"]["image"] == "ghcr.io/fixia/web:2.1.0"
    assert len(deployments(railway_server, "svc-web")) == before + 1
    empty = gql("""{ environmentStagedChanges(environmentId: "env-prod") { patch } }""")
    assert empty["environmentStagedChanges"]["patch"] == {}


def test_committing_staged_changes_with_skip_deploys_changes_config_only(
    railway_server: EmulatorServer, gql: Gql
) -> None:
    railway_server.emulator.stage("env-prod", {"services": {"svc-web": {"deploy": {"startCommand": "x"}}}}, True)
    before = len(deployments(railway_server, "svc-web"))
    gql("""mutation { environmentPatchCommitStaged(environmentId: "env-prod", skipDeploys: true) }""")
    assert len(deployments(railway_server, "svc-web")) == before


def test_variable_upsert_with_skip_deploys_does_not_deploy_and_replace_removes_others(
    railway_server: EmulatorServer, gql: Gql
) -> None:
    upsert = "mutation($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }"
    scope = {"projectId": "proj-fixia", "environmentId": "env-prod", "serviceId": "svc-web"}
    gql(upsert, input={**scope, "variables": {"A": "1", "B": "2"}, "skipDeploys": True})
    assert len(deployments(railway_server, "svc-web")) == 1
    gql(upsert, input={**scope, "variables": {"C": "3"}, "replace": True, "skipDeploys": True})
    values = gql("""{ variables(projectId: "proj-fixia", environmentId: "env-prod", serviceId: "svc-web") }""")
    assert values["variables"] == {"C": "3"}
    gql(upsert, input={**scope, "variables": {"D": "4"}})
    assert len(deployments(railway_server, "svc-web")) == 2


def test_a_patch_naming_an_unknown_service_is_refused(railway_server: EmulatorServer) -> None:
    body = post(railway_server, COMMIT, {"e": "env-prod", "p": {"services": {"svc-nope": {}}}}).json()
    assert body["errors"][0]["message"] == "Service not found: svc-nope"


def test_backup_schedules_are_read_and_changed_without_a_deployment(railway_server: EmulatorServer, gql: Gql) -> None:
    volumes = gql("""{ environment(id: "env-prod") { volumeInstances { edges { node { id mountPath
      volume { name } } } } } }""")["environment"]["volumeInstances"]["edges"]  # fmt: skip
    (volume,) = [edge["node"] for edge in volumes]
    assert volume["volume"]["name"] == "pgdata"
    assert volume["mountPath"] == "/var/lib/postgresql/data"
    schedules = "query($v: String!) { volumeInstanceBackupScheduleList(volumeInstanceId: $v) { kind cron } }"
    assert [s["kind"] for s in gql(schedules, v=volume["id"])["volumeInstanceBackupScheduleList"]] == [
        "DAILY",
        "WEEKLY",
    ]
    gql("mutation($v: String!) { volumeInstanceBackupScheduleUpdate(volumeInstanceId: $v, kinds: [MONTHLY]) }",
        v=volume["id"])  # fmt: skip
    assert [s["kind"] for s in gql(schedules, v=volume["id"])["volumeInstanceBackupScheduleList"]] == ["MONTHLY"]
    assert deployments(railway_server, "svc-pg") == []


def test_service_instance_update_changes_config_without_deploying(railway_server: EmulatorServer, gql: Gql) -> None:
    before = len(deployments(railway_server, "svc-api"))
    query = """mutation { serviceInstanceUpdate(serviceId: "svc-api", environmentId: "env-prod",
      input: {healthcheckPath: "/ready", numReplicas: 3}) }"""
    assert gql(query)["serviceInstanceUpdate"] is True
    assert instance(gql, "svc-api")["healthcheckPath"] == "/ready"
    assert len(deployments(railway_server, "svc-api")) == before
    staging = gql('{ serviceInstance(environmentId: "env-staging", serviceId: "svc-api") { healthcheckPath } }')
    assert staging["serviceInstance"]["healthcheckPath"] == "/health"


def test_variable_delete_removes_the_variable_and_redeploys(railway_server: EmulatorServer, gql: Gql) -> None:
    before = len(deployments(railway_server, "svc-api"))
    gql("""mutation { variableDelete(input: {projectId: "proj-fixia", environmentId: "env-prod", serviceId: "svc-api",
      name: "JWT_SECRET"}) }""")
    values = gql("""{ variables(projectId: "proj-fixia", environmentId: "env-prod", serviceId: "svc-api") }""")
    assert "JWT_SECRET" not in values["variables"]
    assert len(deployments(railway_server, "svc-api")) == before + 1


def test_cancel_removes_a_deployment_in_progress_only(make_railway_server: Any) -> None:
    from reconciler.sandbox.railway import Timings

    server: EmulatorServer = make_railway_server(processes=False, timings=Timings(phase=1.0))
    server.emulator.commit_patch("env-prod", {"services": {"svc-web": {"source": {"image": "ghcr.io/fixia/web:3"}}}})
    new, live = deployments(server, "svc-web")[:2]
    cancel = "mutation($id: String!) { deploymentCancel(id: $id) }"
    assert post(server, cancel, {"id": new["id"]}).json()["data"]["deploymentCancel"] is True
    assert server.emulator.deployment(new["id"]).status == "REMOVED"
    assert post(server, cancel, {"id": live["id"]}).json()["errors"][0]["message"] == "Deployment cannot be cancelled"
    assert server.emulator.deployment(live["id"]).status == "SUCCESS"
