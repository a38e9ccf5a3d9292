"""Starting and stopping what an emulator runs: demo apps of live deployments, and each service's stable address."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from reconciler.sandbox.railway.edge import Edge
from reconciler.sandbox.railway.lifecycle import join_all, launch
from reconciler.sandbox.railway.model import ApiError

if TYPE_CHECKING:
    from reconciler.sandbox.railway.emulator import Emulator


def start(em: Emulator) -> None:
    with em.lock:
        em.running = True
        live = [d for d in em.deployments.values() if d.status in ("SUCCESS", "SLEEPING")]
        instances = [(e.id, sid) for e in em.environments.values() for sid in em.instance_ids(e.id)]
    for deployment in live:
        if deployment.id not in em.processes:
            launch(em, deployment, build=False, already_live=True)
    for environment_id, service_id in instances:
        edge_port(em, environment_id, service_id)
    # Return once the seeded apps answer, so a caller can use them at once.
    deadline = time.monotonic() + 20
    while em.start_processes and time.monotonic() < deadline:
        with em.lock:
            pending = [d for d in live if d.id not in em.processes and d.status == "SUCCESS"]
        if not pending:
            break
        time.sleep(0.01)


def stop(em: Emulator) -> None:
    with em.lock:
        em.running = False
        deployments = list(em.deployments.values())
        edges, em.edges = list(em.edges.values()), {}
    for deployment in deployments:
        deployment.cancelled.set()
    for deployment in deployments:
        em.stop_process(deployment)
    for edge in edges:
        edge.stop()
    join_all(em, timeout=5.0)


def edge_port(em: Emulator, environment_id: str, service_id: str) -> int | None:
    """The port of the instance's stable address (created on first use), or None when no apps run."""
    with em.lock:
        if not (em.running and em.start_processes):
            return None
        edge = em.edges.get((environment_id, service_id))
        if edge is None:

            def target() -> int | None:
                with em.lock:
                    live = em.active_deployments(environment_id, service_id)
                    return next((d.port for d in live if d.id in em.processes), None)

            edge = em.edges[(environment_id, service_id)] = Edge(target)
        return edge.port


def service_url(em: Emulator, environment: str, service: str) -> str:
    with em.lock:
        env = next((e for e in em.environments.values() if environment in (e.id, e.name)), None)
        if env is None:
            raise ApiError("Environment not found")
        candidates = [s for s in em.services.values() if s.project_id == env.project_id]
        svc = next((s for s in candidates if service in (s.id, s.name)), None)
        if svc is None:
            raise ApiError("Service not found")
        em.service_config(env.id, svc.id)
        port = edge_port(em, env.id, svc.id)
    if port is None:
        raise ApiError("no service addresses: the emulator is not running demo apps")
    return f"http://127.0.0.1:{port}"


def wait_for(em: Emulator, deployment_id: str, statuses: Iterable[str], timeout: float) -> str:
    wanted = set(statuses)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = em.deployment(deployment_id).status
        if status in wanted:
            return status
        time.sleep(0.01)
    raise TimeoutError(f"deployment {deployment_id} still {em.deployment(deployment_id).status}")
