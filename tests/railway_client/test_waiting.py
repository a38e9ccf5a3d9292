"""Waiting on a deployment with a scripted server: statuses the schema does not list, backoff, bounds.

The emulator cannot send a status outside the schema's enum (graphql-core refuses to serialise it), so the
defensive paths for unknown statuses are pinned here with a fake server and a fake clock.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from reconciler.providers.railway import PollPolicy, RailwayClient
from reconciler.providers.railway.records import FailureKind
from reconciler.providers.railway.transport import Credentials, Transport
from tests.railway_client.test_transport import FakeTime


def deployment(status: str, stopped: bool = False) -> dict[str, Any]:
    return {
        "id": "d1",
        "status": status,
        "statusUpdatedAt": None,
        "createdAt": "2026-11-26T12:00:00.000Z",
        "canRollback": False,
        "canRedeploy": True,
        "deploymentStopped": stopped,
        "meta": {"image": "ghcr.io/acme/api:2.0.0"},
        "serviceId": "s",
        "environmentId": "e",
    }


class StatusServer:
    """Answers `Deployment` with the next scripted status (the last repeats) and `DeploymentEvents` with events."""

    def __init__(self, *statuses: str | tuple[str, bool], events: list[dict[str, Any]] | None = None) -> None:
        self.statuses = list(statuses)
        self.events = events or []
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name = json.loads(request.content)["operationName"]
        if name == "DeploymentEvents":
            edges = [{"node": e} for e in self.events]
            data = {"deploymentEvents": {"edges": edges, "pageInfo": {"hasNextPage": False, "endCursor": None}}}
            return httpx.Response(200, json={"data": data})
        self.polls += 1
        item = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        status, stopped = item if isinstance(item, tuple) else (item, False)
        return httpx.Response(200, json={"data": {"deployment": deployment(status, stopped)}})


def client_for(server: StatusServer, time: FakeTime) -> RailwayClient:
    transport = Transport(
        Credentials("Authorization", "t"),
        "http://railway.test/graphql/v2",
        sleep=time.sleep,
        clock=time.clock,
        http_transport=httpx.MockTransport(server),
    )
    poll = PollPolicy(initial=1.0, factor=2.0, max_interval=5.0)
    return RailwayClient(transport, poll=poll, sleep=time.sleep, clock=time.clock)


def test_polling_backs_off_to_a_ceiling_and_stops_at_success() -> None:
    server, time = StatusServer("QUEUED", "BUILDING", "BUILDING", "DEPLOYING", "DEPLOYING", "SUCCESS"), FakeTime()
    outcome = client_for(server, time).wait_for_deployment("d1", timeout=60)
    assert outcome.succeeded and outcome.deployment.image == "ghcr.io/acme/api:2.0.0"
    assert time.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_an_unknown_status_is_never_success_and_ends_as_a_timeout() -> None:
    server, time = StatusServer("QUEUED", "TELEPORTING"), FakeTime()
    outcome = client_for(server, time).wait_for_deployment("d1", timeout=20)
    assert outcome.succeeded is False
    assert outcome.failure is FailureKind.TIMED_OUT
    assert outcome.deployment.status == "TELEPORTING"
    assert sum(time.sleeps) <= 20


def test_an_unknown_status_of_a_stopped_deployment_ends_the_wait_as_a_failure() -> None:
    server, time = StatusServer("BUILDING", ("TELEPORTING", True)), FakeTime()
    outcome = client_for(server, time).wait_for_deployment("d1", timeout=600)
    assert outcome.succeeded is False and outcome.failure is FailureKind.OTHER
    assert server.polls == 2


def test_cancelled_seen_in_the_wild_is_terminal() -> None:
    server, time = StatusServer("QUEUED", "CANCELLED"), FakeTime()
    outcome = client_for(server, time).wait_for_deployment("d1", timeout=600)
    assert outcome.failure is FailureKind.REMOVED and server.polls == 2


def test_needs_approval_stops_the_wait_for_a_human() -> None:
    server, time = StatusServer("NEEDS_APPROVAL"), FakeTime()
    outcome = client_for(server, time).wait_for_deployment("d1", timeout=600)
    assert outcome.failure is FailureKind.NEEDS_APPROVAL and time.sleeps == []


def test_a_deployment_stuck_in_progress_times_out_within_the_bound() -> None:
    server, time = StatusServer("DEPLOYING"), FakeTime()
    outcome = client_for(server, time).wait_for_deployment("d1", timeout=30)
    assert outcome.failure is FailureKind.TIMED_OUT and outcome.message == "still DEPLOYING after 30s"
    assert sum(time.sleeps) <= 30


def test_failure_reads_the_events_to_name_the_step() -> None:
    events = [
        {"id": "1", "step": "BUILD_IMAGE", "createdAt": None, "completedAt": "2026-11-26T12:00:01Z", "payload": None},
        {
            "id": "2",
            "step": "PRE_DEPLOY_COMMAND",
            "createdAt": None,
            "completedAt": "2026-11-26T12:00:02Z",
            "payload": {"error": "exit code 1", "reason": None, "detail": None},
        },
    ]
    server, time = StatusServer("BUILDING", "FAILED", events=events), FakeTime()
    outcome = client_for(server, time).wait_for_deployment("d1", timeout=600)
    assert (outcome.failure, outcome.failed_step, outcome.message) == (
        FailureKind.MIGRATION,
        "PRE_DEPLOY_COMMAND",
        "exit code 1",
    )
