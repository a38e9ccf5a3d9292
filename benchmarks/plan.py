"""`scripts/bench plan`: observe + plan 3 environments x 20 services with 50 ms on every Railway, S3 and GitHub request.

The Railway emulator injects the latency itself; S3 (SeaweedFS) and the GitHub stand-in sit behind a small TCP
proxy that holds each request 50 ms before forwarding it. PostgreSQL is the local server (no added latency).
Measured in this one run: each provider observed alone (all environments), then everything together plus the pure
plan; the ratio of the whole to the slowest single provider (target < 2: providers and environments observed
concurrently), and the requests each provider received.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LATENCY = 0.05
ENVIRONMENTS = ("production", "staging", "preview")
SERVICES = 20
RUNS = int(os.environ.get("RUNS", "5"))
TARGET = 2.0
METHODS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"PATCH ", b"DELETE ")


class DelayProxy:
    """Loopback TCP proxy: every client chunk that starts an HTTP request waits `delay` before it is forwarded."""

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        self.target = target
        self.delay = delay
        self.requests = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        with contextlib.closing(client), socket.create_connection(self.target) as upstream:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.5)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        if data.startswith(METHODS):
                            with self._lock:
                                self.requests += 1
                            time.sleep(self.delay)
                        upstream.sendall(data)
                    else:
                        client.sendall(data)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


def write_desired(directory: Path, bucket: str) -> None:
    """Three environments of 20 services each, with backups, a database and a drift policy."""
    for name in ENVIRONMENTS:
        lines = [
            f"environment: {name}",
            f"railway: {{project: bench, environment: {name}}}",
            "services:",
        ]
        for i in range(SERVICES):
            lines += [
                f"  svc-{i:02d}:",
                f"    image: ghcr.io/bench/svc-{i:02d}",
                "    version: 1.0.0",
                "    replicas: 1",
                "    healthcheck: {path: /health, timeout: 60s}",
                "    variables: {required: [DATABASE_URL]}",
            ]
        lines += [
            "database: {url: {env: DATABASE_URL}}",
            f"backups: {{bucket: {bucket}, prefix: {name}/, schedule: '0 3 * * *', retention: {{keep_last: 3}},"
            " max_age: 26h}",
            "drift: {default: report}",
        ]
        (directory / f"{name}.yaml").write_text("\n".join(lines) + "\n")


@contextlib.contextmanager
def world() -> Iterator[dict[str, object]]:
    from reconciler.desired.load import load_desired_state
    from reconciler.providers import postgres
    from reconciler.providers.s3 import S3
    from reconciler.sandbox.github import GitHubStandIn
    from reconciler.sandbox.postgres import postgres_server
    from reconciler.sandbox.railway import FAST, Emulator, EmulatorServer
    from reconciler.sandbox.s3 import SeaweedServer
    from reconciler.sandbox.seed_backups import plant_aged_copies, take_real_backup
    from reconciler.sandbox.seed_desired import Differences, seed_from_desired

    bucket = "bench-backups"
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        write_desired(tmp, bucket)
        desired = load_desired_state(tmp)
        server = stack.enter_context(postgres_server(os.environ.get("DATABASE_URL")))
        name = f"bench_plan_{os.getpid()}"
        postgres.create_database(server, name)
        stack.callback(postgres.drop_database, server, name)
        database = postgres.with_database(server, name)
        os.environ["DATABASE_URL"] = database

        seaweed = stack.enter_context(SeaweedServer())
        os.environ.update(seaweed.client_env())
        direct = S3(seaweed.endpoint_url)
        direct.create_bucket(bucket)
        seed = take_real_backup(direct, database, bucket, "seed/", "seed")
        for env in ENVIRONMENTS:
            plant_aged_copies(direct, seed, f"{env}/", [timedelta(hours=h) for h in (2, 30, 60)])
        s3_proxy = DelayProxy(("127.0.0.1", seaweed.port), LATENCY)
        stack.callback(s3_proxy.close)

        diff = Differences(replicas={"production/svc-03": 2}, versions={"staging/svc-07": "0.9.0"})
        railway = stack.enter_context(EmulatorServer(Emulator(seed_from_desired(desired, diff), timings=FAST)))
        railway.faults.set_latency(LATENCY)

        github = stack.enter_context(GitHubStandIn())
        github.add_repo("bench/infra", {"README.md": "bench\n"})
        gh_port = int(github.base_url.rsplit(":", 1)[1])
        gh_proxy = DelayProxy(("127.0.0.1", gh_port), LATENCY)
        stack.callback(gh_proxy.close)
        yield {
            "desired": desired,
            "railway": railway,
            "github": github,
            "s3_url": f"http://127.0.0.1:{s3_proxy.port}",
            "s3_proxy": s3_proxy,
            "gh_url": f"http://127.0.0.1:{gh_proxy.port}",
            "gh_proxy": gh_proxy,
        }


def providers(w: dict[str, object], only: str | None = None) -> object:
    from reconciler.observe import Providers, installed_pg_dump
    from reconciler.planning import database_url
    from reconciler.providers.github import connect, settings_from_env
    from reconciler.providers.postgres_facts import read_database
    from reconciler.providers.railway.client import RailwayClient
    from reconciler.providers.s3 import S3
    from reconciler.sandbox.railway import EmulatorServer

    railway = w["railway"]
    assert isinstance(railway, EmulatorServer)
    environ = {"GITHUB_REPOSITORY": "bench/infra", "GITHUB_API_URL": str(w["gh_url"]), "GITHUB_TOKEN": "bench"}
    built = {
        "railway": lambda: {"railway": RailwayClient.from_env(railway.url, environ={"RAILWAY_API_TOKEN": "bench"})},
        "s3": lambda: {"s3": S3(str(w["s3_url"]))},
        # The settings GitHub runs use in production, request spacing included.
        "github": lambda: {"github": connect(settings_from_env(environ), environ)},
        "postgres": lambda: {
            "database_url": database_url,
            "read_database": read_database,
            "pg_dump_version": installed_pg_dump,
        },
    }
    values: dict[str, object] = {}
    for name, make in built.items():
        # "plan" is what `reconciler plan` observes: everything but GitHub (it only writes its comment there).
        if only in (None, name) or (only == "plan" and name != "github"):
            values.update(make())
    return Providers(**values)  # type: ignore[arg-type]


def timed(w: dict[str, object], only: str | None) -> tuple[float, object]:
    from reconciler.observe import Providers, observe
    from reconciler.plan import plan
    from reconciler.planning import close

    built = providers(w, only)
    assert isinstance(built, Providers)
    desired = w["desired"]
    start = time.perf_counter()
    observed = observe(desired, built)  # type: ignore[arg-type]
    result = plan(desired, observed)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    close(built)
    return elapsed, result


def main() -> int:
    from reconciler.plan_types import Plan
    from reconciler.sandbox.github import GitHubStandIn
    from reconciler.sandbox.railway import EmulatorServer

    print(
        f"plan benchmark: {len(ENVIRONMENTS)} environments x {SERVICES} services, {LATENCY * 1000:.0f} ms per "
        f"Railway/S3/GitHub request, median of {RUNS} runs",
        flush=True,
    )
    with world() as w:
        timed(w, None)  # warm-up: imports and connection set-up are not what is measured
        railway, github = w["railway"], w["github"]
        assert isinstance(railway, EmulatorServer) and isinstance(github, GitHubStandIn)
        s3_proxy, gh_proxy = w["s3_proxy"], w["gh_proxy"]
        assert isinstance(s3_proxy, DelayProxy) and isinstance(gh_proxy, DelayProxy)
        alone: dict[str, float] = {}
        for name in ("railway", "s3", "github", "postgres"):
            alone[name] = statistics.median(timed(w, name)[0] for _ in range(RUNS))
        as_plan = statistics.median(timed(w, "plan")[0] for _ in range(RUNS))
        railway.reset_counts()
        s3_before, gh_before = s3_proxy.requests, gh_proxy.requests
        walls = []
        result: object = None
        for _ in range(RUNS):
            wall, result = timed(w, None)
            walls.append(wall)
        counts = {
            "railway": sum(railway.requests_by_operation.values()) / RUNS,
            "s3": (s3_proxy.requests - s3_before) / RUNS,
            "github": (gh_proxy.requests - gh_before) / RUNS,
        }
        operations = dict(railway.requests_by_operation)
    assert isinstance(result, Plan)
    wall = statistics.median(walls)
    slowest = max(alone, key=lambda k: alone[k])
    print("\neach provider alone (all environments, concurrently):")
    for name, seconds in alone.items():
        print(f"  {name:<9} {seconds * 1000:7.0f} ms")
    print(
        f"\neverything, observe + plan: {wall * 1000:.0f} ms (min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f})"
    )
    ratio = wall / alone[slowest]
    verdict = "ok" if ratio < TARGET else "OVER TARGET"
    print(f"ratio to the slowest provider ({slowest}): {ratio:.2f} (target < {TARGET}) {verdict}")
    plan_slowest = max((k for k in alone if k != "github"), key=lambda k: alone[k])
    plan_ratio = as_plan / alone[plan_slowest]
    print(
        f"as `reconciler plan` observes (no GitHub reads): {as_plan * 1000:.0f} ms, "
        f"ratio to its slowest provider ({plan_slowest}): {plan_ratio:.2f}"
    )
    print("\nrequests per full observation:")
    for name, count in counts.items():
        per_env = count / len(ENVIRONMENTS)
        print(f"  {name:<9} {count:5.1f}  ({per_env:.1f} per environment)")
    print(f"  railway operations (all {RUNS} runs): {operations}")
    print(f"\nplan: {len(result.changes())} changes: {', '.join(c.address for c in result.changes())}")
    return 0 if ratio < TARGET and plan_ratio < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
