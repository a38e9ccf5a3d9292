"""Acting through the client against the emulator: patches, deploys, waiting, failure kinds, rollback, variables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from reconciler.providers.railway import RailwayClient, RollbackRefused
from reconciler.providers.railway.records import FailureKind, RegionReplicas, ServiceChange
from reconciler.sandbox.railway import EmulatorServer

pytestmark = pytest.mark.integration

API = "ghcr.io/fixia/api"


def deploy_image(client: RailwayClient, tag: str) -> tuple[str | None, object]:
    """Patch the api's image in production and wait for the resulting deployment."""
    before = client.latest_deployment("env-prod", "svc-api")
    client.commit_patch("env-prod", [ServiceChange("svc-api", image=f"{API}:{tag}")], f"deploy {tag}")
    outcome = client.wait_for_new_deployment("env-prod", "svc-api", before.id if before else None, timeout=30)
    return (before.id if before else None), outcome


def test_an_image_patch_deploys_the_new_version(client: RailwayClient) -> None:
    _, outcome = deploy_image(client, "1.4.3")
    assert outcome.succeeded, outcome  # type: ignore[attr-defined]
    api = client.observe_environment("env-prod").service("api")
    assert api is not None and api.image == f"{API}:1.4.3"
    assert api.active is not None and api.active.image == f"{API}:1.4.3"


def test_one_patch_changes_healthcheck_pre_deploy_and_replicas_together(
    railway_server: EmulatorServer, client: RailwayClient
) -> None:
    etag = client.observe_environment("env-prod").config_etag
    client.commit_patch(
        "env-prod",
        [
            ServiceChange(
                "svc-api",
                healthcheck_path="/ready",
                healthcheck_timeout=120,
                pre_deploy_command=("npm run migrate",),
                regions=(RegionReplicas("us-west2", 1), RegionReplicas("europe-west4-drams3a", 2)),
            )
        ],
        "settings",
    )
    assert railway_server.requests_by_operation["EnvironmentPatchCommit"] == 1
    api = client.observe_environment("env-prod").service("api")
    assert api is not None
    assert (api.healthcheck_path, api.healthcheck_timeout, api.pre_deploy_command) == (
        "/ready",
        120,
        ("npm run migrate",),
    )
    assert api.regions == (RegionReplicas("europe-west4-drams3a", 2), RegionReplicas("us-west2", 1))
    assert api.replicas == 3
    assert client.observe_environment("env-prod").config_etag != etag


def test_a_replicas_only_patch_scales_without_a_new_deployment(client: RailwayClient) -> None:
    before = client.latest_deployment("env-prod", "svc-api")
    client.commit_patch(
        "env-prod",
        [ServiceChange("svc-api", regions=(RegionReplicas("us-west2", 4),), removed_regions=())],
        "scale",
    )
    api = client.observe_environment("env-prod").service("api")
    assert api is not None and api.replicas == 4
    assert api.latest is not None and before is not None and api.latest.id == before.id


@pytest.mark.parametrize(
    ("tag", "kind", "step"),
    [
        ("9.0.0-migration", FailureKind.MIGRATION, "PRE_DEPLOY_COMMAND"),
        ("9.0.0-unhealthy", FailureKind.HEALTHCHECK, "HEALTHCHECK"),
    ],
)
def test_a_failed_migration_is_told_apart_from_a_failed_health_check(
    client: RailwayClient, tag: str, kind: FailureKind, step: str
) -> None:
    _, outcome = deploy_image(client, tag)
    assert outcome.succeeded is False  # type: ignore[attr-defined]
    assert outcome.failure is kind  # type: ignore[attr-defined]
    assert outcome.failed_step == step  # type: ignore[attr-defined]
    assert outcome.deployment.status == "FAILED"  # type: ignore[attr-defined]
    # The old version keeps serving.
    api = client.observe_environment("env-prod").service("api")
    assert api is not None and api.active is not None and api.active.image == f"{API}:1.4.2"


def test_a_crash_after_start_is_its_own_outcome_when_success_must_hold(client: RailwayClient) -> None:
    before = client.latest_deployment("env-prod", "svc-api")
    client.commit_patch("env-prod", [ServiceChange("svc-api", image=f"{API}:9.0.0-crash")], "deploy crash")
    outcome = client.wait_for_new_deployment(
        "env-prod", "svc-api", before.id if before else None, timeout=30, stable_for=2.0
    )
    assert outcome.failure is FailureKind.CRASHED, outcome
    assert outcome.deployment.status == "CRASHED"


def test_rollback_restores_the_previous_image_and_is_refused_when_not_allowed(client: RailwayClient) -> None:
    previous, outcome = deploy_image(client, "1.4.3")
    assert outcome.succeeded and previous is not None  # type: ignore[attr-defined]
    live = client.latest_deployment("env-prod", "svc-api")
    assert live is not None and live.can_rollback is False
    with pytest.raises(RollbackRefused):
        client.rollback(live.id)
    assert client.deployment(previous).can_rollback
    started = client.rollback(previous)
    assert started.id not in (previous, live.id)
    done = client.wait_for_deployment(started.id, timeout=30)
    assert done.succeeded and done.deployment.image == f"{API}:1.4.2"


def test_staged_changes_are_shown_then_committed(client: RailwayClient) -> None:
    staged = client.stage_patch("env-prod", [ServiceChange("svc-web", image="ghcr.io/fixia/web:2.1.0")])
    assert staged.status == "STAGED" and staged.service_ids == ("svc-web",)
    assert client.staged_changes("env-prod").service_ids == ("svc-web",)
    assert client.observe_environment("env-prod").service("web").image == "ghcr.io/fixia/web:2.0.0"  # type: ignore[union-attr]
    before = client.latest_deployment("env-prod", "svc-web")
    client.commit_staged("env-prod", "web 2.1.0")
    outcome = client.wait_for_new_deployment("env-prod", "svc-web", before.id if before else None, timeout=30)
    assert outcome.succeeded and outcome.deployment.image == "ghcr.io/fixia/web:2.1.0"


def test_deploy_redeploy_and_restart_start_work_once_each(
    railway_server: EmulatorServer, client: RailwayClient
) -> None:
    deployed = client.deploy_commit("env-prod", "svc-web")
    assert client.wait_for_deployment(deployed.id, timeout=30).succeeded
    redeployed = client.redeploy(deployed.id)
    assert redeployed.id != deployed.id
    assert client.wait_for_deployment(redeployed.id, timeout=30).succeeded
    client.restart(redeployed.id)
    counts = railway_server.requests_by_operation
    assert (counts["ServiceInstanceDeployV2"], counts["DeploymentRedeploy"], counts["DeploymentRestart"]) == (1, 1, 1)


def test_variables_upsert_with_skip_deploys_sets_names_without_deploying(client: RailwayClient) -> None:
    before = client.latest_deployment("env-prod", "svc-api")
    client.upsert_variables("proj-fixia", "env-prod", "svc-api", {"FEATURE_X": "on"}, skip_deploys=True)
    api = client.observe_environment("env-prod").service("api")
    assert api is not None and "FEATURE_X" in api.variable_names
    assert api.latest is not None and before is not None and api.latest.id == before.id


def test_metrics_per_replica_and_http_metrics_for_a_window(
    railway_server: EmulatorServer, client: RailwayClient
) -> None:
    end = datetime.now(UTC) + timedelta(seconds=1)
    start = end - timedelta(minutes=10)
    replicas = client.replica_metrics("env-prod", "svc-api", start, end, sample_rate_seconds=60)
    assert len(replicas) == 2
    assert all(r.cpu and r.memory_gb for r in replicas)
    assert all(0 < s.value <= 2.0 for r in replicas for s in r.cpu)

    live = client.latest_deployment("env-prod", "svc-api")
    assert live is not None
    port = railway_server.emulator.deployments[live.id].port
    for _ in range(5):
        httpx.get(f"http://127.0.0.1:{port}/version", timeout=5)
    http = client.http_metrics("env-prod", "svc-api", start, datetime.now(UTC) + timedelta(seconds=1), step_seconds=60)
    assert http.total >= 5
    assert http.error_rate == 0.0
    assert http.p95_ms is not None


def test_recent_deployments_find_a_rollback_target_without_git(client: RailwayClient) -> None:
    recent = client.recent_deployments("env-prod", "svc-api")
    assert [d.image for d in recent] == [f"{API}:1.4.2", f"{API}:1.4.1", f"{API}:1.4.0"]
    target = next(d for d in recent if d.can_rollback)
    assert target.image == f"{API}:1.4.1"
    only_live = client.recent_deployments("env-prod", "svc-api", statuses=["SUCCESS"])
    assert [d.status for d in only_live] == ["SUCCESS"]
