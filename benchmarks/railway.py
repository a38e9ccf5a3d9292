"""Benchmark: observe 3 environments x 20 services through the Railway client, 50 ms injected latency per request.

Goals (issue 3): 1 request per environment, and under 0.25 s wall time for all three (observed concurrently,
nothing fetched twice). The emulator runs on loopback in its own process (as Railway would be: its CPU does not
compete with the client's for one interpreter lock), without demo app processes. Prints figures from this run.
Usage: scripts/bench railway [--rounds N] [--latency SECONDS]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from reconciler.providers.railway import RailwayClient
from reconciler.providers.railway.records import EnvironmentRef, EnvironmentState
from reconciler.sandbox.railway import Emulator, EmulatorServer

ENVIRONMENTS = ("production", "staging", "preview")
SERVICES = 20


def seed() -> dict[str, Any]:
    names = [f"svc{i:02d}" for i in range(SERVICES)]
    services = {
        name: {
            "source": {"image": f"ghcr.io/bench/{name}:1.0.{i}"},
            "deploy": {
                "multiRegionConfig": {"us-west2": {"numReplicas": 1 + i % 3}},
                "healthcheckPath": "/health",
                "preDeployCommand": ["./migrate"],
            },
            "variables": {"DATABASE_URL": "postgresql://bench", "JWT_SECRET": "s"},
            "history": [f"ghcr.io/bench/{name}:0.9.0"],
        }
        for i, name in enumerate(names)
    }
    return {
        "settings": {"processes": False},
        "projects": [
            {
                "name": "bench",
                "id": "proj-bench",
                "services": [{"name": n, "id": f"svc-{n}"} for n in names],
                "environments": [{"name": e, "id": f"env-{e}", "services": services} for e in ENVIRONMENTS],
            }
        ],
    }


def serve(conn: Connection, latency: float) -> None:
    """Child process: serve the seeded emulator; answer "counts", "reset" and "stop" over the pipe."""
    with EmulatorServer(Emulator(seed(), processes=False)) as server:
        server.faults.set_latency(latency)
        conn.send(server.url)
        while True:
            command = conn.recv()
            if command == "counts":
                conn.send(dict(server.requests_by_operation))
            elif command == "reset":
                server.reset_counts()
                conn.send(True)
            else:
                return


class Remote:
    """The parent's handle on the emulator process."""

    def __init__(self, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, latency), daemon=True)
        self.process.start()
        self.url: str = self.conn.recv()

    def call(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()


def measure(
    server: Remote, refs: list[EnvironmentRef | str], observe: Callable[[RailwayClient, list[Any]], Any]
) -> tuple[float, dict[str, int], list[EnvironmentState]]:
    """Wall time of one observation with a fresh client (a cold connection pool), and the requests it made."""
    with RailwayClient.from_env(server.url, environ={"RAILWAY_API_TOKEN": "bench"}) as client:
        server.call("reset")
        started = time.perf_counter()
        states = observe(client, refs)
        elapsed = time.perf_counter() - started
    return elapsed, server.call("counts"), states


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    server = Remote(args.latency)
    try:
        ids: list[EnvironmentRef | str] = [f"env-{e}" for e in ENVIRONMENTS]
        names: list[EnvironmentRef | str] = [EnvironmentRef("bench", e) for e in ENVIRONMENTS]

        def concurrent(client: RailwayClient, refs: list[Any]) -> list[EnvironmentState]:
            return client.observe_environments(refs)

        def sequential(client: RailwayClient, refs: list[Any]) -> list[EnvironmentState]:
            return [client.observe_environment(ref) for ref in refs]

        measure(server, ids, concurrent)  # warm-up: Python imports, first GraphQL parse on the server
        scenarios = {
            "concurrent, by id": (ids, concurrent),
            "concurrent, by name (incl. resolution)": (names, concurrent),
            "sequential, by id (baseline)": (ids, sequential),
        }
        print(
            f"Railway observe: {len(ENVIRONMENTS)} environments x {SERVICES} services, "
            f"{args.latency * 1000:.0f} ms injected latency per request, {args.rounds} rounds, fresh client each"
        )
        medians: dict[str, float] = {}
        for label, (refs, observe) in scenarios.items():
            times: list[float] = []
            counts: dict[str, int] = {}
            states: list[EnvironmentState] = []
            for _ in range(args.rounds):
                elapsed, counts, states = measure(server, refs, observe)
                times.append(elapsed)
            assert all(len(s.services) == SERVICES for s in states), "every service observed"
            total = sum(counts.values())
            per_env = counts.get("EnvironmentState", 0) / len(ENVIRONMENTS)
            medians[label] = statistics.median(times)
            print(f"  {label}:")
            print(f"    requests: {total} total, {per_env:.0f} EnvironmentState per environment, by operation {counts}")
            print(f"    wall time: median {medians[label]:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s")
        by_id = medians["concurrent, by id"]
        goal = "met" if by_id < 0.25 else "NOT met"
        print(f"  goal < 0.25 s for all three (concurrent, by id): {goal} ({by_id:.3f} s)")
        print(f"  speed-up of concurrent over sequential: {medians['sequential, by id (baseline)'] / by_id:.1f}x")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
