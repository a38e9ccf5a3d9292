"""The transport layer alone, against httpx.MockTransport: auth, retries and their bounds, error translation.

Behaviour (observe, deploy, wait, roll back) is tested against the real emulator over a socket elsewhere; these
tests pin what only a scripted server can show exactly: sleeps taken, attempts made, bounds respected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.errors import PermanentError, TemporaryError
from reconciler.providers.railway import RailwayClient
from reconciler.providers.railway.errors import (
    InvalidRequest,
    NotAuthorized,
    NotFound,
    NoToken,
    OutcomeUnknown,
    RailwayApiError,
    RailwayUnavailable,
)
from reconciler.providers.railway.records import EnvironmentRef
from reconciler.providers.railway.transport import (
    DEFAULT_ENDPOINT,
    Credentials,
    RetryPolicy,
    Transport,
    credentials_from_env,
    endpoint_from_env,
)

Reply = httpx.Response | Exception


class Script:
    """A fake server: answers requests from a list of replies (the last one repeats) and records what it saw."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def ok(data: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json={"data": data if data is not None else {"deploymentRestart": True}})


def gql_error(message: str, code: str | None = None) -> httpx.Response:
    error: dict[str, Any] = {"message": message, "path": ["x"]}
    if code:
        error["extensions"] = {"code": code}
    return httpx.Response(200, json={"data": None, "errors": [error]})


def make(script: Script, time: FakeTime, retry: RetryPolicy | None = None, rng: Callable[[], float] = lambda: 1.0):
    return Transport(
        Credentials("Authorization", "tok-secret-123"),
        "http://railway.test/graphql/v2",
        retry=retry or RetryPolicy(max_attempts=4, max_total_seconds=30, base_delay=0.5, max_delay=4),
        sleep=time.sleep,
        clock=time.clock,
        rng=rng,
        http_transport=httpx.MockTransport(script),
    )


def test_request_carries_bearer_token_operation_name_and_variables() -> None:
    script, time = Script(ok({"deploymentRestart": True})), FakeTime()
    data = make(script, time).execute("DeploymentRestart", {"id": "d1"})
    assert data == {"deploymentRestart": True}
    sent = script.seen[0]
    assert sent.headers["Authorization"] == "Bearer tok-secret-123"
    body = httpx.Response(200, content=sent.content).json()
    assert body["operationName"] == "DeploymentRestart"
    assert body["variables"] == {"id": "d1"}
    assert "mutation DeploymentRestart" in body["query"]


def test_project_token_travels_in_project_access_token_header() -> None:
    creds = credentials_from_env({"RAILWAY_TOKEN": "proj-tok"})
    assert creds.headers == {"Project-Access-Token": "proj-tok"}
    assert credentials_from_env({"RAILWAY_API_TOKEN": "acct", "RAILWAY_TOKEN": "proj"}).headers == {
        "Authorization": "Bearer acct"
    }


def test_missing_token_is_a_clear_permanent_error() -> None:
    with pytest.raises(NoToken, match="RAILWAY_API_TOKEN.*RAILWAY_TOKEN"):
        credentials_from_env({})


def test_endpoint_defaults_to_railway_and_is_overridable() -> None:
    assert endpoint_from_env({}) == DEFAULT_ENDPOINT == "https://backboard.railway.com/graphql/v2"
    assert endpoint_from_env({"RAILWAY_API_URL": "http://127.0.0.1:9/graphql/v2"}) == "http://127.0.0.1:9/graphql/v2"
    env = {"RAILWAY_API_TOKEN": "t", "RAILWAY_API_URL": "http://127.0.0.1:9/g"}
    with RailwayClient.from_env(environ=env) as client:
        assert client.transport.endpoint == "http://127.0.0.1:9/g"
    with RailwayClient.from_env("http://127.0.0.1:8/x", environ=env) as client:
        assert client.transport.endpoint == "http://127.0.0.1:8/x"


def test_429_waits_exactly_retry_after_then_succeeds() -> None:
    script, time = Script(httpx.Response(429, headers={"Retry-After": "3"}), ok()), FakeTime()
    make(script, time).execute("DeploymentRestart", {"id": "d"})
    assert time.sleeps == [3.0]
    assert len(script.seen) == 2


def test_retry_after_longer_than_we_will_wait_surfaces_as_temporary_error_with_delay() -> None:
    script, time = Script(httpx.Response(429, headers={"Retry-After": "3600"})), FakeTime()
    with pytest.raises(RailwayUnavailable) as raised:
        make(script, time).execute("Deployment", {"id": "d"})
    assert raised.value.delay == 3600.0
    assert time.sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(502, text="bad gateway"),
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.Response(200, text="{not json"),
    ],
    ids=["502", "503", "connect", "read-timeout", "dropped", "garbled-200"],
)
def test_transient_failures_of_a_read_are_retried_with_exponential_backoff(failure: Reply) -> None:
    script, time = Script(failure, failure, ok({"deployment": {"id": "d"}})), FakeTime()
    assert make(script, time).execute("Deployment", {"id": "d"}) == {"deployment": {"id": "d"}}
    assert len(script.seen) == 3
    assert time.sleeps == [0.5, 1.0]  # base * 2^(n-1) at full jitter 1.0


def test_jitter_spreads_the_delay_below_its_cap() -> None:
    script, time = Script(httpx.Response(503), httpx.Response(503), ok()), FakeTime()
    make(script, time, rng=lambda: 0.25).execute("Deployment", {"id": "d"})
    assert time.sleeps == [0.125, 0.25]


def test_persistent_5xx_gives_up_after_max_attempts_as_temporary_error() -> None:
    script, time = Script(httpx.Response(500)), FakeTime()
    with pytest.raises(RailwayUnavailable, match="HTTP 500.*gave up after 4 attempts") as raised:
        make(script, time).execute("Deployment", {"id": "d"})
    assert isinstance(raised.value, TemporaryError)
    assert len(script.seen) == 4
    assert time.sleeps == [0.5, 1.0, 2.0]


def test_retries_are_bounded_in_total_time_as_well() -> None:
    script, time = Script(httpx.Response(503)), FakeTime()
    policy = RetryPolicy(max_attempts=50, max_total_seconds=10, base_delay=1, max_delay=4)
    with pytest.raises(RailwayUnavailable):
        make(script, time, retry=policy).execute("Deployment", {"id": "d"})
    assert sum(time.sleeps) <= 10
    assert len(script.seen) < 50
    assert time.sleeps == [1.0, 2.0, 4.0]  # the next 4 s sleep would pass the 10 s budget


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(502), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")],
    ids=["502", "read-timeout", "dropped"],
)
def test_work_starting_mutation_is_not_resent_after_an_ambiguous_failure(failure: Reply) -> None:
    script, time = Script(failure, ok({"serviceInstanceDeployV2": "d2"})), FakeTime()
    with pytest.raises(OutcomeUnknown, match="may have taken effect"):
        make(script, time).execute(
            "ServiceInstanceDeployV2", {"environmentId": "e", "serviceId": "s"}, starts_work=True
        )
    assert len(script.seen) == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.Response(429, headers={"Retry-After": "1"})],
    ids=["connect-refused", "429"],
)
def test_work_starting_mutation_is_resent_when_it_surely_never_arrived(failure: Reply) -> None:
    script, time = Script(failure, ok({"serviceInstanceDeployV2": "d2"})), FakeTime()
    data = make(script, time).execute(
        "ServiceInstanceDeployV2", {"environmentId": "e", "serviceId": "s"}, starts_work=True
    )
    assert data == {"serviceInstanceDeployV2": "d2"}
    assert len(script.seen) == 2


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (gql_error("Not Authorized"), NotAuthorized),
        (gql_error("Project Token not found"), NotAuthorized),
        (gql_error("nope", code="UNAUTHENTICATED"), NotAuthorized),
        (gql_error("Deployment not found"), NotFound),
        (gql_error("ServiceInstance not found"), NotFound),
        (gql_error('Cannot query field "multiRegionConfig" on type "ServiceInstance".'), InvalidRequest),
        (gql_error("bad", code="GRAPHQL_VALIDATION_FAILED"), InvalidRequest),
        (httpx.Response(400, json={"errors": [{"message": 'Variable "$id" of required type'}]}), InvalidRequest),
        (gql_error("Problem processing request"), RailwayApiError),
        (httpx.Response(401, text="no"), NotAuthorized),
        (httpx.Response(404, text="no"), NotFound),
    ],
)
def test_graphql_errors_become_typed_permanent_errors_and_are_not_retried(reply: Reply, kind: type) -> None:
    script, time = Script(reply), FakeTime()
    with pytest.raises(kind) as raised:
        make(script, time).execute("Deployment", {"id": "d"})
    assert isinstance(raised.value, PermanentError)
    assert "Railway Deployment" in str(raised.value)
    assert len(script.seen) == 1
    assert time.sleeps == []


def test_rate_limit_reported_in_errors_array_is_retried() -> None:
    script, time = Script(gql_error("Rate limit exceeded"), ok()), FakeTime()
    make(script, time).execute("Deployment", {"id": "d"})
    assert len(script.seen) == 2


def test_client_reads_one_environment_in_one_request_and_follows_pages_only_when_needed() -> None:
    def environment(page_has_more: bool) -> dict[str, Any]:
        instance = {
            "id": "si1",
            "serviceId": "svc-1",
            "serviceName": "api",
            "environmentId": "env-1",
            "source": {"image": "ghcr.io/acme/api:1.0.0", "repo": None},
            "numReplicas": 2,
            "region": "us-west2",
            "healthcheckPath": "/health",
            "healthcheckTimeout": 60,
            "preDeployCommand": ["npm run migrate"],
            "startCommand": None,
            "restartPolicyType": "ON_FAILURE",
            "restartPolicyMaxRetries": 3,
            "latestDeployment": None,
            "activeDeployments": [],
        }
        page = {"hasNextPage": page_has_more, "endCursor": "c1" if page_has_more else None}
        empty = {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
        return {
            "id": "env-1",
            "name": "production",
            "projectId": "prj-1",
            "configEtag": "etag-1",
            "config": {
                "services": {
                    "svc-1": {
                        "deploy": {"multiRegionConfig": {"us-west2": {"numReplicas": 2}}},
                        "variables": {"JWT_SECRET": {"value": None, "isSealed": True}},
                    }
                }
            },
            "serviceInstances": {"edges": [{"node": instance}], "pageInfo": page},
            "volumeInstances": empty,
        }

    second = dict(environment(False)["serviceInstances"])
    second_node = dict(second["edges"][0]["node"], serviceId="svc-2", serviceName="web", id="si2")
    second = {"edges": [{"node": second_node}], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    script = Script(ok({"environment": environment(True)}), ok({"environment": {"serviceInstances": second}}))
    client = RailwayClient(make(script, FakeTime()))
    state = client.observe_environment("env-1")
    assert [s.name for s in state.services] == ["api", "web"]
    assert state.requests == 2
    assert state.service("api").variable_names == frozenset({"JWT_SECRET"})  # type: ignore[union-attr]
    assert state.service("api").pre_deploy_command == ("npm run migrate",)  # type: ignore[union-attr]

    single = Script(ok({"environment": environment(False)}))
    assert RailwayClient(make(single, FakeTime())).observe_environment("env-1").requests == 1
    assert len(single.seen) == 1


def test_a_project_token_that_may_not_read_its_project_still_resolves_its_own_environment() -> None:
    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        name = json.loads(request.content)["operationName"]
        seen.append(name)
        if name in ("Projects", "Project"):
            return gql_error("Not Authorized")
        token = {
            "projectId": "p1",
            "environmentId": "e1",
            "project": {"id": "p1", "name": "fixia"},
            "environment": {"id": "e1", "name": "staging"},
        }
        return ok({"projectToken": token})

    transport = Transport(
        Credentials("Project-Access-Token", "project-token-1"),
        "http://r.test/g",
        http_transport=httpx.MockTransport(server),
    )
    client = RailwayClient(transport)
    resolved = client.resolve(EnvironmentRef("fixia", "staging"))
    assert (resolved.project_id, resolved.environment_id, resolved.environment_name) == ("p1", "e1", "staging")
    with pytest.raises(NotAuthorized, match="scoped to fixia/staging, not fixia/production"):
        client.resolve(EnvironmentRef("fixia", "production"))
    assert "Project" in seen and "ProjectToken" in seen
