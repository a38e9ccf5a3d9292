"""Metrics: CPU and memory per replica from the deterministic load model; HTTP metrics from what the apps served."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest

from reconciler.sandbox.railway import EmulatorServer
from tests.sandbox_railway.conftest import post
from tests.sandbox_railway.test_lifecycle import TERMINAL, deploy_version

EPOCH = 1_800_000_000  # a multiple of 60, so samples fall on round offsets from the start
METRICS = """query($start: DateTime!, $end: DateTime!, $group: [MetricTag!]) {
  metrics(environmentId: "env-prod", serviceId: "svc-api", startDate: $start, endDate: $end, sampleRateSeconds: 60,
          measurements: [CPU_USAGE, MEMORY_USAGE_GB], groupBy: $group) {
    measurement tags { deploymentInstanceId region } values { ts value } } }"""
HTTP = """query($start: DateTime!, $end: DateTime!) {
  httpMetricsGroupedByStatus(environmentId: "env-prod", serviceId: "svc-api", startDate: $start, endDate: $end,
                             stepSeconds: 3600) { statusCode samples { ts value } }
  httpMetrics(environmentId: "env-prod", serviceId: "svc-api", startDate: $start, endDate: $end, stepSeconds: 3600) {
    samples { value } }
  httpDurationMetrics(environmentId: "env-prod", serviceId: "svc-api", startDate: $start, endDate: $end,
                      stepSeconds: 3600) { samples { p50 p95 p99 } } }"""


def at(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(EPOCH + seconds, tz=datetime.UTC).isoformat().replace("+00:00", "Z")


class Clock:
    def __init__(self) -> None:
        self.now = float(EPOCH)

    def __call__(self) -> float:
        return self.now


def data(server: EmulatorServer, query: str, **variables: Any) -> dict[str, Any]:
    body = post(server, query, variables).json()
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def quiet_server(make_railway_server: Any, clock: Clock) -> EmulatorServer:
    server: EmulatorServer = make_railway_server(processes=False, clock=clock)
    return server


def test_each_replica_carries_an_equal_share_of_the_modelled_load(quiet_server: EmulatorServer, clock: Clock) -> None:
    clock.now = EPOCH + 300
    results = data(quiet_server, METRICS, start=at(300), end=at(300), group=["DEPLOYMENT_INSTANCE_ID"])["metrics"]
    cpu = sorted((r["tags"]["deploymentInstanceId"], r["values"]) for r in results if r["measurement"] == "CPU_USAGE")
    # cpu demand goes 0.4 -> 1.6 vCPU over 600 s: 1.0 at 300 s, shared by 2 replicas.
    assert [values for _, values in cpu] == [[{"ts": EPOCH + 300, "value": 0.5}]] * 2
    assert len({instance for instance, _ in cpu}) == 2
    memory = [r["values"][0]["value"] for r in results if r["measurement"] == "MEMORY_USAGE_GB"]
    assert memory == [pytest.approx(0.3)] * 2  # 0.1 base + 0.4 working set / 2


def test_scaling_out_lowers_the_load_per_replica_from_that_moment(quiet_server: EmulatorServer, clock: Clock) -> None:
    clock.now = EPOCH + 300
    quiet_server.emulator.commit_patch(
        "env-prod", {"services": {"svc-api": {"deploy": {"multiRegionConfig": {"us-west2": {"numReplicas": 4}}}}}}
    )
    clock.now = EPOCH + 400
    results = data(quiet_server, METRICS, start=at(240), end=at(360), group=["DEPLOYMENT_INSTANCE_ID"])["metrics"]
    per_replica: dict[int, list[float]] = {}
    for result in results:
        if result["measurement"] == "CPU_USAGE":
            for sample in result["values"]:
                per_replica.setdefault(sample["ts"] - EPOCH, []).append(sample["value"])
    assert per_replica == {240: [0.44, 0.44], 300: [0.25] * 4, 360: [0.28] * 4}
    total = data(quiet_server, METRICS, start=at(240), end=at(360), group=None)["metrics"]
    (cpu_total,) = [r for r in total if r["measurement"] == "CPU_USAGE"]
    assert [s["value"] for s in cpu_total["values"]] == [0.88, 1.0, 1.12]


def test_an_unsupported_measurement_is_an_error_not_zeros(quiet_server: EmulatorServer) -> None:
    query = 'query { metrics(startDate: "2026-01-01T00:00:00Z", measurements: [NETWORK_RX_GB]) { measurement } }'
    body = post(quiet_server, query).json()
    assert body["errors"][0]["message"] == "not implemented by the emulator: metrics measurement NETWORK_RX_GB"


def _window() -> dict[str, str]:
    now = datetime.datetime.now(tz=datetime.UTC)
    return {
        "start": (now - datetime.timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
        "end": (now + datetime.timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
    }


def test_http_metrics_count_what_the_app_really_served_and_survive_its_replacement(
    railway_server: EmulatorServer,
) -> None:
    new = deploy_version(railway_server, "9.0.0-errors")
    assert railway_server.emulator.wait_for(new, TERMINAL) == "SUCCESS"
    url = f"http://127.0.0.1:{railway_server.emulator.deployment(new).port}"
    with httpx.Client() as client:
        statuses = [client.get(f"{url}/api/items").status_code for _ in range(20)]
    assert statuses.count(500) == 6
    result = data(railway_server, HTTP, **_window())
    by_status = {g["statusCode"]: sum(s["value"] for s in g["samples"]) for g in result["httpMetricsGroupedByStatus"]}
    assert by_status == {200: 14.0, 500: 6.0}  # the emulator's health probes are not counted
    assert sum(s["value"] for s in result["httpMetrics"]["samples"]) == 20.0
    healed = deploy_version(railway_server, "1.5.0")
    assert railway_server.emulator.wait_for(healed, TERMINAL) == "SUCCESS"
    assert railway_server.emulator.deployment(new).port not in (None, railway_server.emulator.deployment(healed).port)
    again = data(railway_server, HTTP, **_window())
    assert {g["statusCode"]: sum(s["value"] for s in g["samples"]) for g in again["httpMetricsGroupedByStatus"]} == {
        200: 14.0,
        500: 6.0,
    }


def test_a_slow_version_shows_in_the_p95_duration(railway_server: EmulatorServer) -> None:
    new = deploy_version(railway_server, "9.0.0-slow")
    assert railway_server.emulator.wait_for(new, TERMINAL) == "SUCCESS"
    url = f"http://127.0.0.1:{railway_server.emulator.deployment(new).port}"
    with httpx.Client() as client:
        for _ in range(20):
            assert client.get(f"{url}/api/items").status_code == 200
    samples = data(railway_server, HTTP, **_window())["httpDurationMetrics"]["samples"]
    # Two of twenty requests took 300 ms: the p95 shows them, the median does not.
    assert max(s["p95"] for s in samples) >= 300 > max(s["p50"] for s in samples)
