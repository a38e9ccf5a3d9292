"""Each fault mode of the emulator, over a real socket: recover within bounds from transient faults, fail clearly
on persistent ones, and never start a deployment twice after an ambiguous failure."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from reconciler.providers.railway import OutcomeUnknown, RailwayClient, RailwayUnavailable
from reconciler.sandbox.railway import EmulatorServer, Faults
from tests.railway_client.conftest import FAST_POLL, FAST_RETRY, ClientFactory
from tests.railway_client.test_transport import FakeTime

pytestmark = pytest.mark.integration


class LoseResponse(httpx.BaseTransport):
    """A real HTTP transport that lets the server process `operation`, then loses its response (a read timeout)."""

    def __init__(self, operation: str, times: int = 1) -> None:
        self.inner = httpx.HTTPTransport()
        self.operation, self.times = operation, times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.times and json.loads(request.content).get("operationName") == self.operation:
            self.times -= 1
            response.read()
            response.close()
            raise httpx.ReadTimeout("response lost on the way back", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def web_deployments(server: EmulatorServer) -> int:
    return len(server.emulator.deployments_of("env-prod", "svc-web"))


def test_a_429_is_waited_out_for_retry_after_seconds(
    railway_server: EmulatorServer, railway_faults: Faults, make_client: ClientFactory
) -> None:
    time = FakeTime()
    client = make_client(railway_server, sleep=time.sleep, clock=time.clock)
    railway_faults.add("rate_limit", "EnvironmentState", times=1, retry_after=2)
    assert client.observe_environment("env-prod").environment_name == "production"
    assert railway_server.requests_by_operation["EnvironmentState"] == 2
    assert time.sleeps == [2.0]


@pytest.mark.slow
def test_railways_per_second_rate_limit_is_honoured(make_railway_server: object, make_client: ClientFactory) -> None:
    server = make_railway_server(per_second=2, processes=False)  # type: ignore[operator]
    client = make_client(server)
    states = [client.observe_environment("env-prod") for _ in range(4)]
    assert len(states) == 4
    assert server.requests_by_operation["EnvironmentState"] >= 5  # at least one 429, retried after Retry-After


@pytest.mark.parametrize(
    ("kind", "options"),
    [("error", {"status": 502}), ("error", {"status": 503}), ("drop", {}), ("timeout", {"seconds": 1.0})],
    ids=["502", "503", "dropped-connection", "timeout"],
)
def test_transient_faults_on_reads_are_retried_and_recovered_from(
    railway_server: EmulatorServer,
    railway_faults: Faults,
    make_client: ClientFactory,
    kind: str,
    options: dict[str, float],
) -> None:
    client = make_client(railway_server, timeout=0.4)
    railway_faults.add(kind, "EnvironmentState", times=2, **options)  # type: ignore[arg-type]
    assert client.observe_environment("env-prod").environment_id == "env-prod"
    assert railway_server.requests_by_operation["EnvironmentState"] == 3


@pytest.mark.parametrize("kind", ["error", "drop"])
def test_persistent_faults_fail_clearly_after_the_bounded_attempts(
    railway_server: EmulatorServer, railway_faults: Faults, make_client: ClientFactory, kind: str
) -> None:
    client = make_client(railway_server)
    railway_faults.add(kind, "EnvironmentState")
    with pytest.raises(RailwayUnavailable, match=r"Railway EnvironmentState: .*gave up after 4 attempts"):
        client.observe_environment("env-prod")
    assert railway_server.requests_by_operation["EnvironmentState"] == FAST_RETRY.max_attempts


def test_a_deploy_whose_connection_dropped_before_it_arrived_is_sent_again_once(
    railway_server: EmulatorServer, railway_faults: Faults, client: RailwayClient
) -> None:
    before = web_deployments(railway_server)
    railway_faults.add("drop", "ServiceInstanceDeployV2", times=1)
    started = client.deploy_commit("env-prod", "svc-web")
    counts = railway_server.requests_by_operation
    assert counts["ServiceInstanceDeployV2"] == 2  # re-read showed nothing new, so it was safe to send again
    assert counts["LatestDeployment"] == 2  # before the first send, and after the ambiguous failure
    assert web_deployments(railway_server) == before + 1
    assert client.wait_for_deployment(started.id, timeout=30).succeeded


def test_a_deploy_whose_response_was_lost_is_not_sent_again(
    railway_server: EmulatorServer, make_client: ClientFactory
) -> None:
    client = make_client(railway_server, http_transport=LoseResponse("ServiceInstanceDeployV2"))
    before = web_deployments(railway_server)
    started = client.deploy_commit("env-prod", "svc-web")
    assert railway_server.requests_by_operation["ServiceInstanceDeployV2"] == 1
    assert web_deployments(railway_server) == before + 1
    assert started.id == railway_server.emulator.latest_deployment("env-prod", "svc-web").id  # type: ignore[union-attr]


def test_a_rollback_whose_response_was_lost_is_adopted_not_repeated(
    railway_server: EmulatorServer, make_client: ClientFactory
) -> None:
    client = make_client(railway_server, http_transport=LoseResponse("DeploymentRollback"))
    older = [d for d in railway_server.emulator.deployments_of("env-prod", "svc-api") if d.status == "REMOVED"][0]
    count = len(railway_server.emulator.deployments_of("env-prod", "svc-api"))
    started = client.rollback(older.id)
    assert railway_server.requests_by_operation["DeploymentRollback"] == 1
    assert len(railway_server.emulator.deployments_of("env-prod", "svc-api")) == count + 1
    assert client.wait_for_deployment(started.id, timeout=30).deployment.image == older.image


def test_a_deploy_that_keeps_failing_ambiguously_stops_after_the_bounded_sends(
    railway_server: EmulatorServer, railway_faults: Faults, client: RailwayClient
) -> None:
    before = web_deployments(railway_server)
    railway_faults.add("error", "ServiceInstanceDeployV2", status=502)
    with pytest.raises(RailwayUnavailable, match="no deployment started"):
        client.deploy_commit("env-prod", "svc-web")
    assert railway_server.requests_by_operation["ServiceInstanceDeployV2"] == FAST_POLL.start_attempts
    assert web_deployments(railway_server) == before


def test_planted_token_never_appears_in_output_against_the_emulator(
    railway_server: EmulatorServer,
    railway_faults: Faults,
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = "planted-emulator-token-0c9e41"
    caplog.set_level(logging.DEBUG)
    client = make_client(railway_server, token=token)
    texts = [repr(client), str(client)]
    client.observe_environment("env-prod")
    railway_faults.add("error", "Deployment", status=503)
    railway_faults.add("drop", "DeploymentRestart")
    for call in (lambda: client.deployment("x"), lambda: client.restart("x"), lambda: client.observe_environment("no")):
        try:
            call()
        except Exception as error:  # noqa: BLE001 - every failure's text is checked
            texts += [str(error), repr(error)]
    out, err = capsys.readouterr()
    texts += [out, err, caplog.text]
    assert len(texts) == 11  # two reprs, three failures (str and repr), stdout, stderr, logs
    assert not [t for t in texts if token in t]


class SomeoneElseDeploys(httpx.BaseTransport):
    """The rollback request is lost before it arrives, while someone else's deployment of another image starts."""

    def __init__(self, server: EmulatorServer) -> None:
        self.inner, self.server = httpx.HTTPTransport(), server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("operationName") == "DeploymentRollback":
            self.server.emulator.deploy("env-prod", "svc-api", reason="dashboard", image="ghcr.io/fixia/api:7.7.7")
            raise httpx.ReadTimeout("lost", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_an_ambiguous_rollback_does_not_adopt_someone_elses_deployment(
    railway_server: EmulatorServer, make_client: ClientFactory
) -> None:
    client = make_client(railway_server, http_transport=SomeoneElseDeploys(railway_server))
    older = [d for d in railway_server.emulator.deployments_of("env-prod", "svc-api") if d.status == "REMOVED"][0]
    with pytest.raises(OutcomeUnknown, match=r"a different deployment \(ghcr.io/fixia/api:7.7.7\) started meanwhile"):
        client.rollback(older.id)
    assert railway_server.requests_by_operation["DeploymentRollback"] == 0
