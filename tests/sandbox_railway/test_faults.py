"""Fault injection, rate limits and the request counter, seen by a real HTTP client."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from reconciler.sandbox.railway import EmulatorServer
from tests.sandbox_railway.conftest import post

NAMED = 'query EnvironmentState { environment(id: "env-prod") { id } }'
OTHER = 'query Other { environment(id: "env-prod") { name } }'


@pytest.fixture
def server(make_railway_server: Any) -> EmulatorServer:
    made: EmulatorServer = make_railway_server(processes=False)
    return made


def test_requests_are_counted_by_operation_name(server: EmulatorServer) -> None:
    for _ in range(3):
        post(server, NAMED)
    post(server, OTHER)
    post(server, '{ environment(id: "env-prod") { id } }')
    post(server, 'query A { a: environment(id: "env-prod") { id } } query B { b: environment(id: "env-prod") { id } }')
    counts = server.requests_by_operation
    assert counts == {"EnvironmentState": 3, "Other": 1, "<anonymous>": 2}
    server.reset_counts()
    assert server.requests_by_operation == {}


def test_latency_applies_to_the_chosen_operation_only(server: EmulatorServer) -> None:
    server.faults.set_latency(0.3, "EnvironmentState")
    started = time.monotonic()
    assert post(server, NAMED).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    post(server, OTHER)
    assert time.monotonic() - started < 0.3


def test_a_429_carries_retry_after_and_stops_after_the_given_times(server: EmulatorServer) -> None:
    server.faults.add("rate_limit", "EnvironmentState", times=2, retry_after=3)
    first, second, third = (post(server, NAMED) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "3"


def test_a_5xx_fault_answers_with_that_status(server: EmulatorServer) -> None:
    server.faults.add("error", status=502, times=1)
    assert post(server, NAMED).status_code == 502
    assert post(server, NAMED).status_code == 200


def test_a_dropped_connection_gets_no_response(server: EmulatorServer) -> None:
    server.faults.add("drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        post(server, NAMED)
    assert post(server, NAMED).status_code == 200


def test_a_timeout_fault_holds_the_request_past_the_clients_timeout(server: EmulatorServer) -> None:
    server.faults.add("timeout", times=1, seconds=5)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        post(server, NAMED, timeout=0.3)
    assert time.monotonic() - started < 2
    assert post(server, NAMED).status_code == 200


def test_the_per_second_limit_refuses_the_excess_with_rate_limit_headers(make_railway_server: Any) -> None:
    server: EmulatorServer = make_railway_server(processes=False, per_second=3)
    responses = [post(server, NAMED) for _ in range(5)]
    assert [r.status_code for r in responses][:3] == [200, 200, 200]
    refused = [r for r in responses if r.status_code == 429]
    assert refused and refused[0].headers["Retry-After"] == "1"
    assert responses[0].headers["X-RateLimit-Limit"] == "3"
    assert responses[1].headers["X-RateLimit-Remaining"] == "1"
    time.sleep(1.05)
    assert post(server, NAMED).status_code == 200


def test_the_per_hour_limit_counts_per_token(make_railway_server: Any) -> None:
    server: EmulatorServer = make_railway_server(processes=False, per_hour=2)
    assert [post(server, NAMED).status_code for _ in range(3)] == [200, 200, 429]
    refused = post(server, NAMED)
    assert int(refused.headers["Retry-After"]) > 3500
    other = post(server, NAMED, headers={"Authorization": "Bearer another-token"})
    assert other.status_code == 200
