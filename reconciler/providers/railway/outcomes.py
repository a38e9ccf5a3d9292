"""Why a deployment ended the way it did, from its status and `deploymentEvents` (pure).

A failed pre-deploy command (where migrations run) and a failed health check both end as `FAILED`; only the
events tell them apart. The step that failed is the last one that reported an error, else the last one that
started and never completed.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.providers.railway.records import (
    Deployment,
    DeploymentEvent,
    DeploymentState,
    DeployOutcome,
    FailureKind,
)

_STEP_KINDS = {
    "PRE_DEPLOY_COMMAND": FailureKind.MIGRATION,
    "HEALTHCHECK": FailureKind.HEALTHCHECK,
    "SNAPSHOT_CODE": FailureKind.BUILD,
    "BUILD_IMAGE": FailureKind.BUILD,
    "PUBLISH_IMAGE": FailureKind.BUILD,
}
_GONE = frozenset({"REMOVED", "REMOVING", "SKIPPED", "CANCELLED"})


def failed_event(events: Sequence[DeploymentEvent]) -> DeploymentEvent | None:
    with_error = [e for e in events if e.error]
    if with_error:
        return with_error[-1]
    unfinished = [e for e in events if e.completed_at is None]
    return unfinished[-1] if unfinished else None


def explain(deployment: Deployment, events: Sequence[DeploymentEvent]) -> DeployOutcome:
    """The outcome of a deployment that reached a terminal status."""
    state = deployment.state
    if state is DeploymentState.SUCCEEDED:
        return DeployOutcome(deployment, True, events=tuple(events))
    if state is DeploymentState.NEEDS_APPROVAL:
        return DeployOutcome(
            deployment, False, FailureKind.NEEDS_APPROVAL, message="waiting for approval", events=tuple(events)
        )
    culprit = failed_event(events) if deployment.status != "CRASHED" or any(e.error for e in events) else None
    if deployment.status == "CRASHED" and (culprit is None or culprit.step not in _STEP_KINDS):
        kind = FailureKind.CRASHED
    elif culprit is not None and culprit.step in _STEP_KINDS:
        kind = _STEP_KINDS[culprit.step]
    elif deployment.status in _GONE:
        kind = FailureKind.REMOVED
    else:
        kind = FailureKind.OTHER
    message = (culprit.error or culprit.detail) if culprit else None
    return DeployOutcome(
        deployment,
        False,
        kind,
        failed_step=culprit.step if culprit else None,
        message=message or f"deployment ended {deployment.status}",
        events=tuple(events),
    )
