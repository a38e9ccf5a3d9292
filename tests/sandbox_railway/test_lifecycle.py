"""Deployments live a real lifecycle: phases, events, a real demo app process, health, crashes, rollback."""

from __future__ import annotations

import time
from typing import Any

import httpx

from reconciler.sandbox.railway import EmulatorServer, live_processes
from tests.fixtures.railway import API_IMAGE
from tests.sandbox_railway.conftest import Gql, deployments, post

TERMINAL = {"SUCCESS", "FAILED", "CRASHED", "REMOVED"}
EVENTS = "query($id: String!) { deploymentEvents(id: $id, first: 50) { edges { node { step payload { error } } } } }"


def deploy_version(server: EmulatorServer, tag: str, service_id: str = "svc-api", **deploy: Any) -> str:
    """Commit a new image tag (and deploy settings); returns the id of the deployment it started."""
    patch = {"services": {service_id: {"source": {"image": f"{API_IMAGE}:{tag}"}, "deploy": deploy}}}
    query = 'mutation($p: EnvironmentConfig) { environmentPatchCommit(environmentId: "env-prod", patch: $p) }'
    body = post(server, query, {"p": patch}).json()
    assert "errors" not in body, body
    deployment_id: str = deployments(server, service_id)[0]["id"]
    return deployment_id


def events(gql: Gql, deployment_id: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in gql(EVENTS, id=deployment_id)["deploymentEvents"]["edges"]]


def test_a_deployment_goes_through_every_phase_to_success(railway_server: EmulatorServer, gql: Gql) -> None:
    previous = railway_server.emulator.active_deployments("env-prod", "svc-api")[0]
    new = deploy_version(railway_server, "1.5.0")
    assert railway_server.emulator.wait_for(new, TERMINAL) == "SUCCESS"
    deployment = railway_server.emulator.deployment(new)
    assert deployment.history == ["QUEUED", "INITIALIZING", "BUILDING", "DEPLOYING", "SUCCESS"]
    steps = [(e["step"], e["payload"]["error"]) for e in events(gql, new)]
    assert steps == [("BUILD_IMAGE", None), ("PRE_DEPLOY_COMMAND", None), ("CREATE_CONTAINER", None),
                     ("HEALTHCHECK", None), ("DRAIN_INSTANCES", None)]  # fmt: skip
    # The old deployment drains after the new one is live: REMOVING, then REMOVED.
    assert railway_server.emulator.wait_for(previous.id, {"REMOVED"}) == "REMOVED"
    assert previous.history[-2:] == ["REMOVING", "REMOVED"]
    assert previous.id not in railway_server.emulator.processes


def test_the_live_demo_app_answers_health_version_and_smoke_requests(railway_server: EmulatorServer) -> None:
    new = deploy_version(railway_server, "1.5.0")
    railway_server.emulator.wait_for(new, TERMINAL)
    (live,) = [d for d in deployments(railway_server, "svc-api") if d["status"] == "SUCCESS"]
    assert live["url"].startswith("http://127.0.0.1:")
    health = httpx.get(live["url"] + "/health")
    assert health.status_code == 200
    assert health.json()["checks"].keys() == {"database", "memory", "disk"}
    assert httpx.get(live["url"] + "/version").json()["version"] == "1.5.0"
    login = httpx.post(live["url"] + "/auth/login", json={"email": "smoke@fixia.app", "password": "pw"})
    assert login.status_code == 200 and "token" in login.json()
    assert httpx.get(live["url"] + "/api/items").json()["items"]
    assert httpx.post(live["url"] + "/auth/login", json={}).status_code == 400


def test_a_failing_migration_fails_at_the_pre_deploy_step_and_the_old_version_keeps_serving(
    railway_server: EmulatorServer, gql: Gql
) -> None:
    previous = railway_server.emulator.active_deployments("env-prod", "svc-api")[0]
    new = deploy_version(railway_server, "9.0.0-migration")
    assert railway_server.emulator.wait_for(new, TERMINAL) == "FAILED"
    steps = events(gql, new)
    assert steps[-1]["step"] == "PRE_DEPLOY_COMMAND"
    assert "exit code 1" in steps[-1]["payload"]["error"]
    assert "CREATE_CONTAINER" not in [e["step"] for e in steps]
    assert previous.status == "SUCCESS"
    assert httpx.get(f"http://127.0.0.1:{previous.port}/version").json()["version"] == "1.4.2"


def test_a_failing_health_check_fails_at_the_healthcheck_step(railway_server: EmulatorServer, gql: Gql) -> None:
    new = deploy_version(railway_server, "9.0.0-unhealthy", healthcheckTimeout=1)
    assert railway_server.emulator.wait_for(new, TERMINAL) == "FAILED"
    last = events(gql, new)[-1]
    assert last["step"] == "HEALTHCHECK"
    assert last["payload"]["error"].startswith("Healthcheck failed: /health")
    assert new not in railway_server.emulator.processes
    assert railway_server.emulator.active_deployments("env-prod", "svc-api")[0].history == ["SUCCESS"]


def test_a_crashing_version_passes_health_then_crashes(railway_server: EmulatorServer) -> None:
    new = deploy_version(railway_server, "9.0.0-crash")
    assert railway_server.emulator.wait_for(new, {"CRASHED", "FAILED"}) == "CRASHED"
    assert railway_server.emulator.deployment(new).history[-2:] == ["SUCCESS", "CRASHED"]
    assert new not in railway_server.emulator.processes
    (node,) = [d for d in deployments(railway_server, "svc-api") if d["id"] == new]
    assert node["deploymentStopped"] is True


def test_the_restart_policy_restarts_a_crashed_app_before_giving_up(make_railway_server: Any) -> None:
    server: EmulatorServer = make_railway_server()
    server.emulator.commit_patch("env-prod", {"services": {"svc-api": {"deploy": {"restartPolicyMaxRetries": 2}}}})
    new = deploy_version(server, "9.0.0-crash")
    assert server.emulator.wait_for(new, {"CRASHED", "FAILED"}, timeout=20) == "CRASHED"
    assert server.emulator.deployment(new).restarts == 2


def test_rollback_restores_the_previous_image_without_a_build(railway_server: EmulatorServer, gql: Gql) -> None:
    bad = deploy_version(railway_server, "9.0.0-errors")
    assert railway_server.emulator.wait_for(bad, TERMINAL) == "SUCCESS"
    listed = deployments(railway_server, "svc-api")
    assert [d["canRollback"] for d in listed] == [False, True, True, True]
    previous = listed[1]
    assert previous["meta"]["image"] == f"{API_IMAGE}:1.4.2"
    assert gql("mutation($id: String!) { deploymentRollback(id: $id) }", id=previous["id"])["deploymentRollback"]
    rollback = deployments(railway_server, "svc-api")[0]
    assert railway_server.emulator.wait_for(rollback["id"], TERMINAL) == "SUCCESS"
    record = railway_server.emulator.deployment(rollback["id"])
    assert record.image == f"{API_IMAGE}:1.4.2"
    assert "BUILDING" not in record.history
    assert "BUILD_IMAGE" not in [e["step"] for e in events(gql, rollback["id"])]
    assert record.variables["JWT_SECRET"] == "jwt-secret-value"
    config = gql('{ environment(id: "env-prod") { config } }')["environment"]["config"]
    assert config["services"]["svc-api"]["source"]["image"] == f"{API_IMAGE}:1.4.2"
    assert httpx.get(f"http://127.0.0.1:{record.port}/version").json()["version"] == "1.4.2"


def test_the_live_deployment_cannot_be_rolled_back_to(railway_server: EmulatorServer) -> None:
    live = deployments(railway_server, "svc-api")[0]
    body = post(railway_server, "mutation($id: String!) { deploymentRollback(id: $id) }", {"id": live["id"]}).json()
    assert body["errors"][0]["message"] == "Deployment cannot be rolled back"


def test_images_older_than_the_retention_cannot_be_rolled_back(railway_server: EmulatorServer) -> None:
    railway_server.emulator.retention_hours = 0.05  # three minutes; the seeded history is 10 and 20 minutes old
    assert [d["canRollback"] for d in deployments(railway_server, "svc-api")] == [False, False, False]


def test_redeploy_builds_the_same_image_again(railway_server: EmulatorServer, gql: Gql) -> None:
    live = deployments(railway_server, "svc-api")[0]
    query = "mutation($id: String!) { deploymentRedeploy(id: $id) { id status meta } }"
    new = gql(query, id=live["id"])["deploymentRedeploy"]
    assert new["id"] != live["id"] and new["meta"]["image"] == live["meta"]["image"]
    assert railway_server.emulator.wait_for(new["id"], TERMINAL) == "SUCCESS"
    assert "BUILDING" in railway_server.emulator.deployment(new["id"]).history


def test_restart_starts_a_new_process_for_the_same_deployment(railway_server: EmulatorServer, gql: Gql) -> None:
    live = railway_server.emulator.active_deployments("env-prod", "svc-api")[0]
    old_process = railway_server.emulator.processes[live.id]
    assert gql("mutation($id: String!) { deploymentRestart(id: $id) }", id=live.id)["deploymentRestart"] is True
    railway_server.emulator.wait_for(live.id, {"SUCCESS"})
    for _ in range(500):
        process = railway_server.emulator.processes.get(live.id)
        if process is not None and process is not old_process:
            break
        time.sleep(0.02)
    assert process is not None and process is not old_process
    assert old_process.exit_code() is not None
    assert httpx.get(f"{process.url}/health").status_code == 200


def test_deploy_v2_returns_the_new_deployments_id(railway_server: EmulatorServer, gql: Gql) -> None:
    query = 'mutation { serviceInstanceDeployV2(environmentId: "env-prod", serviceId: "svc-web") }'
    deployment_id = gql(query)["serviceInstanceDeployV2"]
    assert deployments(railway_server, "svc-web")[0]["id"] == deployment_id
    refused = post(railway_server, 'mutation { serviceInstanceDeployV2(environmentId: "env-prod", '
                   'serviceId: "svc-web", commitSha: "abc1234") }').json()  # fmt: skip
    assert refused["errors"][0]["message"] == "Commit not found"


def test_a_newer_deployment_supersedes_one_in_progress(make_railway_server: Any) -> None:
    from reconciler.sandbox.railway import Timings

    server: EmulatorServer = make_railway_server(timings=Timings(phase=0.3, healthcheck_interval=0.02))
    first = deploy_version(server, "1.5.0")
    second = deploy_version(server, "1.5.1")
    assert server.emulator.deployment(first).status == "REMOVED"
    assert server.emulator.wait_for(second, TERMINAL, timeout=10) == "SUCCESS"


def test_stopping_the_emulator_stops_every_demo_app(make_railway_server: Any) -> None:
    server: EmulatorServer = make_railway_server()
    processes = list(server.emulator.processes.values())
    assert len(processes) == 2  # api and web in production
    server.stop()
    assert all(process.exit_code() is not None for process in processes)
    assert not set(processes) & set(live_processes())


def test_the_service_address_stays_put_and_follows_the_healthy_deployment(
    railway_server: EmulatorServer, gql: Gql
) -> None:
    url = railway_server.emulator.service_url("production", "api")
    query = """{ serviceInstance(environmentId: "env-prod", serviceId: "svc-api") {
      domains { serviceDomains { domain } } } }"""
    (domain,) = gql(query)["serviceInstance"]["domains"]["serviceDomains"]
    assert f"http://{domain['domain']}" == url
    assert httpx.get(f"{url}/version").json()["version"] == "1.4.2"
    unhealthy = deploy_version(railway_server, "9.0.0-unhealthy", healthcheckTimeout=1)
    assert railway_server.emulator.wait_for(unhealthy, TERMINAL) == "FAILED"
    assert httpx.get(f"{url}/version").json()["version"] == "1.4.2"
    healthy = deploy_version(railway_server, "1.5.0")
    assert railway_server.emulator.wait_for(healthy, TERMINAL) == "SUCCESS"
    assert httpx.get(f"{url}/version").json()["version"] == "1.5.0"
    login = httpx.post(f"{url}/auth/login", json={"email": "smoke@fixia.app", "password": "pw"})
    assert login.status_code == 200 and login.json()["token"]


def test_the_address_answers_502_when_nothing_is_live(railway_server: EmulatorServer) -> None:
    live = railway_server.emulator.active_deployments("env-prod", "svc-web")[0]
    url = railway_server.emulator.service_url("env-prod", "svc-web")
    railway_server.emulator.set_status(live, "REMOVED")
    assert httpx.get(f"{url}/health").status_code == 502
