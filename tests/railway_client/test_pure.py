"""The client's pure parts: the environment patch it writes, status classification, failure explanation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.providers.railway import parse
from reconciler.providers.railway.outcomes import explain
from reconciler.providers.railway.patches import environment_patch
from reconciler.providers.railway.records import (
    Deployment,
    DeploymentEvent,
    DeploymentState,
    FailureKind,
    RegionReplicas,
    ServiceChange,
    deployment_state,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_one_patch_carries_image_replicas_healthcheck_and_pre_deploy_command() -> None:
    patch = environment_patch(
        [
            ServiceChange("svc-api", image="ghcr.io/acme/api:1.4.2", pre_deploy_command=("npm run db:migrate",)),
            ServiceChange(
                "svc-api",
                regions=(RegionReplicas("us-west2", 2),),
                removed_regions=("europe-west4-drams3a",),
                healthcheck_path="/health",
                healthcheck_timeout=300,
            ),
            ServiceChange("svc-web", image="ghcr.io/acme/web:2.0.0"),
            ServiceChange("svc-idle"),
        ]
    )
    assert patch == {
        "services": {
            "svc-api": {
                "source": {"image": "ghcr.io/acme/api:1.4.2"},
                "deploy": {
                    "preDeployCommand": ["npm run db:migrate"],
                    "multiRegionConfig": {"europe-west4-drams3a": None, "us-west2": {"numReplicas": 2}},
                    "healthcheckPath": "/health",
                    "healthcheckTimeout": 300,
                },
            },
            "svc-web": {"source": {"image": "ghcr.io/acme/web:2.0.0"}},
        }
    }


def test_a_replicas_only_change_touches_nothing_but_the_multi_region_config() -> None:
    patch = environment_patch([ServiceChange("s", regions=(RegionReplicas("us-east4-eqdc4a", 3),))])
    assert patch == {"services": {"s": {"deploy": {"multiRegionConfig": {"us-east4-eqdc4a": {"numReplicas": 3}}}}}}


def test_no_changes_make_an_empty_patch() -> None:
    assert environment_patch([ServiceChange("s")]) == {}


def test_negative_replicas_are_refused() -> None:
    with pytest.raises(ValueError, match="replicas"):
        environment_patch([ServiceChange("s", regions=(RegionReplicas("us-west2", -1),))])


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("SUCCESS", DeploymentState.SUCCEEDED),
        ("SLEEPING", DeploymentState.SUCCEEDED),
        ("FAILED", DeploymentState.FAILED),
        ("CRASHED", DeploymentState.FAILED),
        ("REMOVED", DeploymentState.FAILED),
        ("SKIPPED", DeploymentState.FAILED),
        ("CANCELLED", DeploymentState.FAILED),
        ("QUEUED", DeploymentState.IN_PROGRESS),
        ("INITIALIZING", DeploymentState.IN_PROGRESS),
        ("BUILDING", DeploymentState.IN_PROGRESS),
        ("DEPLOYING", DeploymentState.IN_PROGRESS),
        ("WAITING", DeploymentState.IN_PROGRESS),
        ("NEEDS_APPROVAL", DeploymentState.NEEDS_APPROVAL),
        ("TELEPORTING", DeploymentState.UNKNOWN),
    ],
)
def test_every_status_has_a_meaning_and_unknown_ones_are_never_success(status: str, state: DeploymentState) -> None:
    assert deployment_state(status) is state


def event(step: str, error: str | None = None, done: bool = True) -> DeploymentEvent:
    return DeploymentEvent(step, T0, T0 if done else None, error=error)


def test_a_failed_pre_deploy_command_is_a_migration_failure() -> None:
    outcome = explain(
        Deployment("d", "FAILED"),
        [event("BUILD_IMAGE"), event("PRE_DEPLOY_COMMAND", error="migration 0042 failed: relation exists")],
    )
    assert (outcome.succeeded, outcome.failure, outcome.failed_step) == (
        False,
        FailureKind.MIGRATION,
        "PRE_DEPLOY_COMMAND",
    )
    assert outcome.message == "migration 0042 failed: relation exists"


def test_a_failed_health_check_is_told_apart_from_a_migration() -> None:
    outcome = explain(
        Deployment("d", "FAILED"),
        [event("PRE_DEPLOY_COMMAND"), event("CREATE_CONTAINER"), event("HEALTHCHECK", error="/health answered 503")],
    )
    assert outcome.failure is FailureKind.HEALTHCHECK


def test_an_unfinished_step_is_blamed_when_no_event_reports_an_error() -> None:
    outcome = explain(Deployment("d", "FAILED"), [event("PRE_DEPLOY_COMMAND"), event("HEALTHCHECK", done=False)])
    assert outcome.failure is FailureKind.HEALTHCHECK


def test_crash_after_start_and_removal_have_their_own_kinds() -> None:
    assert explain(Deployment("d", "CRASHED"), [event("HEALTHCHECK")]).failure is FailureKind.CRASHED
    assert explain(Deployment("d", "REMOVED"), []).failure is FailureKind.REMOVED
    assert explain(Deployment("d", "SUCCESS"), []).succeeded


def test_deployment_image_and_commit_come_from_meta() -> None:
    d = parse.deployment(
        {"id": "d", "status": "SUCCESS", "meta": {"image": "ghcr.io/a/b:1", "commitHash": "abc"}, "canRollback": True}
    )
    assert d is not None and (d.image, d.commit, d.can_rollback) == ("ghcr.io/a/b:1", "abc", True)
    nested = parse.deployment({"id": "d", "status": "X", "meta": {"serviceManifest": {"source": {"image": "i:2"}}}})
    assert nested is not None and nested.image == "i:2" and nested.state is DeploymentState.UNKNOWN


def test_http_metrics_sum_counts_by_status_and_keep_the_worst_p95() -> None:
    metrics = parse.http_metrics(
        {
            "httpMetricsGroupedByStatus": [
                {"statusCode": 200, "samples": [{"ts": 1, "value": 60}, {"ts": 2, "value": 10}]},
                {"statusCode": 503, "samples": [{"ts": 1, "value": 30}]},
            ],
            "httpDurationMetrics": {
                "samples": [{"ts": 1, "p50": 5, "p95": 120, "p99": 300}, {"ts": 2, "p50": 4, "p95": 80, "p99": 90}]
            },
        }
    )
    assert metrics.counts_by_status == ((200, 70), (503, 30))
    assert metrics.total == 100 and metrics.error_rate == pytest.approx(0.3)
    assert metrics.p95_ms == 120
