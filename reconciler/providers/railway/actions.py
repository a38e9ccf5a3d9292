"""Writes: environment patches (direct or staged), deploys, rollback, redeploy, restart, variables; and waiting.

Patches and variable upserts converge, so the transport retries them. Deploy, redeploy and rollback start new work
on every call: the transport never retries them after a failure that may have reached Railway; here, after such
an ambiguous failure, the service's latest deployment is re-read: a new one means the call took effect, none means
it is safe to send again (a bounded number of times).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.providers.railway import parse
from reconciler.providers.railway.errors import OutcomeUnknown, RailwayApiError, RailwayUnavailable
from reconciler.providers.railway.observe import ObserveMixin
from reconciler.providers.railway.outcomes import explain
from reconciler.providers.railway.patches import environment_patch
from reconciler.providers.railway.records import (
    Deployment,
    DeploymentState,
    DeployOutcome,
    FailureKind,
    ServiceChange,
    StagedPatch,
)

log = logging.getLogger("reconciler.railway")


class RollbackRefused(RailwayApiError):
    """Railway says this deployment cannot be rolled back to (`canRollback` is false: image no longer retained)."""


@dataclass(frozen=True)
class PollPolicy:
    """How to wait on a deployment: first interval, growth factor, longest interval (seconds)."""

    initial: float = 2.0
    factor: float = 1.5
    max_interval: float = 15.0
    start_attempts: int = 2
    """How many times a deploy/redeploy/rollback is sent in total when earlier sends provably did nothing."""
    settle: float = 1.0
    """Pause before re-reading after an ambiguous failure, so a request still in flight can land."""


class ActionsMixin(ObserveMixin):
    """The writes, on top of the reads. Expects `poll`, `sleep` and `clock` (set by `RailwayClient`)."""

    poll: PollPolicy
    sleep: Callable[[float], None]
    clock: Callable[[], float]

    # -- environment patches ----------------------------------------------------------------------------------

    def commit_patch(
        self, environment_id: str, changes: Sequence[ServiceChange] | Mapping[str, Any], message: str
    ) -> str:
        """Commit one patch to the environment (affected services redeploy; replicas-only changes just scale)."""
        patch = _as_patch(changes)
        data = self.transport.execute(
            "EnvironmentPatchCommit", {"environmentId": environment_id, "patch": patch, "commitMessage": message}
        )
        return str(data["environmentPatchCommit"])

    def stage_patch(
        self, environment_id: str, changes: Sequence[ServiceChange] | Mapping[str, Any], merge: bool = True
    ) -> StagedPatch:
        """Stage a patch for review (merged into what is already staged unless `merge=False`); deploys nothing."""
        data = self.transport.execute(
            "EnvironmentStageChanges",
            {"environmentId": environment_id, "input": _as_patch(changes), "merge": merge},
        )
        return parse.staged_patch(data["environmentStageChanges"])

    def staged_changes(self, environment_id: str) -> StagedPatch:
        """What is staged now (a human's dashboard edits too). Read-only."""
        data = self.transport.execute("EnvironmentStagedChanges", {"environmentId": environment_id})
        return parse.staged_patch(data["environmentStagedChanges"])

    def commit_staged(self, environment_id: str, message: str, skip_deploys: bool = False) -> str:
        data = self.transport.execute(
            "EnvironmentPatchCommitStaged",
            {"environmentId": environment_id, "commitMessage": message, "skipDeploys": skip_deploys},
        )
        return str(data["environmentPatchCommitStaged"])

    # -- variables --------------------------------------------------------------------------------------------

    def upsert_variables(
        self,
        project_id: str,
        environment_id: str,
        service_id: str | None,
        values: Mapping[str, str],
        skip_deploys: bool = True,
    ) -> None:
        """Set plain variable values (never logged). `skip_deploys` keeps the running deployment as it is."""
        self.transport.execute(
            "VariableCollectionUpsert",
            {
                "input": {
                    "projectId": project_id,
                    "environmentId": environment_id,
                    "serviceId": service_id,
                    "variables": dict(values),
                    "skipDeploys": skip_deploys,
                }
            },
            redact=[v for v in values.values() if len(v) >= 4],
        )

    # -- work that starts deployments -------------------------------------------------------------------------

    def deploy_commit(self, environment_id: str, service_id: str, commit_sha: str | None = None) -> Deployment:
        """Deploy the service's source (a given commit for repo sources); returns the new deployment."""
        variables = {"environmentId": environment_id, "serviceId": service_id, "commitSha": commit_sha}

        def send() -> str | None:
            return str(
                self.transport.execute("ServiceInstanceDeployV2", variables, starts_work=True)[
                    "serviceInstanceDeployV2"
                ]
            )

        return self._start_work("ServiceInstanceDeployV2", environment_id, service_id, send)

    def redeploy(self, deployment_id: str) -> Deployment:
        """Rebuild and redeploy a deployment's source and config; returns the new deployment."""
        target = self.deployment(deployment_id)

        def send() -> str | None:
            data = self.transport.execute("DeploymentRedeploy", {"id": deployment_id}, starts_work=True)
            made = parse.deployment(data["deploymentRedeploy"])
            return made.id if made else None

        return self._start_work("DeploymentRedeploy", target_env(target), target_service(target), send)

    def rollback(self, deployment_id: str) -> Deployment:
        """Roll back to `deployment_id` (its image and variables, no build) if Railway allows it.

        Raises `RollbackRefused` when `canRollback` is false (checked on a fresh read). Returns the new deployment.
        """
        target = self.deployment(deployment_id)
        if not target.can_rollback:
            raise RollbackRefused("DeploymentRollback", f"deployment {deployment_id} cannot be rolled back to")

        def send() -> str | None:
            self.transport.execute("DeploymentRollback", {"id": deployment_id}, starts_work=True)
            return None  # Boolean! only: the new deployment is found by re-reading.

        return self._start_work(
            "DeploymentRollback", target_env(target), target_service(target), send, expect_image=target.image
        )

    def restart(self, deployment_id: str) -> None:
        """Restart a deployment's replicas (no build). Never resent: an ambiguous failure raises `OutcomeUnknown`."""
        self.transport.execute("DeploymentRestart", {"id": deployment_id}, starts_work=True)

    def _start_work(
        self,
        operation: str,
        environment_id: str,
        service_id: str,
        send: Callable[[], str | None],
        expect_image: str | None = None,
    ) -> Deployment:
        before = self.latest_deployment(environment_id, service_id)
        for attempt in range(1, self.poll.start_attempts + 1):
            try:
                new_id = send()
            except OutcomeUnknown as ambiguous:
                self.sleep(self.poll.settle)
                after = self.latest_deployment(environment_id, service_id)
                if _is_new(after, before):
                    assert after is not None
                    if expect_image and after.image and after.image != expect_image:
                        # Someone else's deployment landed meanwhile: ours may or may not have; do not guess.
                        raise OutcomeUnknown(
                            f"Railway {operation}: a different deployment ({after.image}) started meanwhile"
                        ) from ambiguous
                    log.info("railway %s: the ambiguous call took effect (deployment %s)", operation, after.id)
                    return after
                log.info("railway %s: no new deployment after an ambiguous failure; send %d", operation, attempt + 1)
                continue
            if new_id:
                return self.deployment(new_id)
            return self._await_new(operation, environment_id, service_id, before)
        raise RailwayUnavailable(
            f"Railway {operation}: no deployment started after {self.poll.start_attempts} ambiguous attempts"
        )

    def _await_new(self, operation: str, environment_id: str, service_id: str, before: Deployment | None) -> Deployment:
        """The deployment a call started, once it shows up as the service's latest (bounded wait)."""
        interval, waited = self.poll.initial, 0.0
        while True:
            after = self.latest_deployment(environment_id, service_id)
            if _is_new(after, before):
                assert after is not None
                return after
            if waited >= max(self.poll.max_interval * 2, 30.0):
                raise RailwayUnavailable(f"Railway {operation}: accepted, but no new deployment appeared")
            self.sleep(interval)
            waited += interval
            interval = min(self.poll.max_interval, interval * self.poll.factor)

    # -- waiting ----------------------------------------------------------------------------------------------

    def wait_for_deployment(self, deployment_id: str, timeout: float = 900.0, stable_for: float = 0.0) -> DeployOutcome:
        """Poll until the deployment is terminal (backing off), then say why it ended. Never raises on failure.

        Unknown statuses are polled on like in-progress ones (and logged), unless Railway says the deployment
        stopped; a timeout is an outcome (`FailureKind.TIMED_OUT`), not an exception. With `stable_for`, a
        `SUCCESS` must hold that many seconds (a version that crashes right after start ends `CRASHED`).
        """
        deadline = self.clock() + timeout
        interval = self.poll.initial
        seen_unknown: set[str] = set()
        last: Deployment | None = None
        healthy_since: float | None = None
        while True:
            try:
                last = self.deployment(deployment_id)
            except RailwayUnavailable:
                # A transient outage is not the deployment's outcome: keep waiting until the deadline.
                if last is None or self.clock() + interval > deadline:
                    raise
            else:
                state = last.state
                if state is DeploymentState.SUCCEEDED:
                    healthy_since = self.clock() if healthy_since is None else healthy_since
                    if self.clock() - healthy_since >= stable_for:
                        return explain(last, ())
                if state in (DeploymentState.FAILED, DeploymentState.NEEDS_APPROVAL):
                    return explain(last, self.deployment_events(last.id) if state is DeploymentState.FAILED else ())
                if state is DeploymentState.UNKNOWN:
                    if last.status not in seen_unknown:
                        log.warning("railway deployment %s has unknown status %s", deployment_id, last.status)
                        seen_unknown.add(last.status)
                    if last.stopped:
                        return explain(last, self.deployment_events(last.id))
            if self.clock() + interval > deadline:
                assert last is not None
                if healthy_since is not None and last.state is DeploymentState.SUCCEEDED:
                    return explain(last, ())  # healthy all along; the window just outlasted the timeout
                return DeployOutcome(
                    last,
                    False,
                    FailureKind.TIMED_OUT,
                    message=f"still {last.status} after {timeout:.0f}s",
                )
            self.sleep(interval)
            interval = min(self.poll.max_interval, interval * self.poll.factor)

    def wait_for_new_deployment(
        self,
        environment_id: str,
        service_id: str,
        previous_id: str | None,
        timeout: float = 900.0,
        stable_for: float = 0.0,
    ) -> DeployOutcome:
        """After a patch commit: wait for a deployment newer than `previous_id` to appear, then for it to end."""
        started = self.clock()
        interval = self.poll.initial
        while True:
            latest = self.latest_deployment(environment_id, service_id)
            if latest is not None and latest.id != previous_id:
                remaining = max(0.0, timeout - (self.clock() - started))
                return self.wait_for_deployment(latest.id, timeout=remaining, stable_for=stable_for)
            if self.clock() + interval > started + timeout:
                placeholder = latest or Deployment(id=previous_id or "", status="NONE")
                return DeployOutcome(
                    placeholder, False, FailureKind.TIMED_OUT, message=f"no new deployment after {timeout:.0f}s"
                )
            self.sleep(interval)
            interval = min(self.poll.max_interval, interval * self.poll.factor)


def _as_patch(changes: Sequence[ServiceChange] | Mapping[str, Any]) -> dict[str, Any]:
    return dict(changes) if isinstance(changes, Mapping) else environment_patch(changes)


def _is_new(after: Deployment | None, before: Deployment | None) -> bool:
    return after is not None and (before is None or after.id != before.id)


def target_env(deployment: Deployment) -> str:
    if not deployment.environment_id:
        raise RailwayApiError("Deployment", f"deployment {deployment.id} has no environment id")
    return deployment.environment_id


def target_service(deployment: Deployment) -> str:
    if not deployment.service_id:
        raise RailwayApiError("Deployment", f"deployment {deployment.id} has no service id")
    return deployment.service_id
