"""A deployment's life, one thread per deployment: phases, events, the demo app process, health, crashes.

QUEUED → INITIALIZING → BUILDING (skipped for rollbacks) → DEPLOYING (pre-deploy command, container, health
check) → SUCCESS; or FAILED at the pre-deploy command or the health check; or CRASHED when the app exits and the
restart policy gives up. Every step leaves a `DeploymentEvent` with its outcome, as Railway's do.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.sandbox.railway.model import Deployment, Event, new_id
from reconciler.sandbox.railway.processes import DemoProcess

if TYPE_CHECKING:
    from reconciler.sandbox.railway.emulator import Emulator


def launch(emulator: Emulator, deployment: Deployment, *, build: bool, already_live: bool = False) -> None:
    """Run the deployment's lifecycle (or, for one that is already live, just its app) in a daemon thread."""
    target = _serve_live if already_live else _run
    thread = threading.Thread(target=target, args=(emulator, deployment, build), daemon=True, name=deployment.id)
    with emulator.lock:
        emulator.threads = [t for t in emulator.threads if t.is_alive()] + [thread]
    thread.start()


def restart(emulator: Emulator, deployment: Deployment) -> None:
    """Restart a deployment's app without a new deployment (`deploymentRestart`)."""
    with emulator.lock:
        deployment.generation += 1
        deployment.restarts = 0
        deployment.cancelled = threading.Event()
    emulator.stop_process(deployment)
    launch(emulator, deployment, build=False, already_live=True)


def join_all(emulator: Emulator, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with emulator.lock:
        threads = list(emulator.threads)
    for thread in threads:
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


def begin(emulator: Emulator, deployment: Deployment, step: str) -> Event:
    event = Event(new_id("event"), step, emulator.clock())
    with emulator.lock:
        deployment.events.append(event)
    return event


def finish(emulator: Emulator, event: Event, error: str | None = None, **payload: Any) -> None:
    with emulator.lock:
        event.completed_at = emulator.clock()
        duration = int((event.completed_at - event.created_at) * 1000)
        event.payload = {"durationMs": duration, **payload, **({"error": error} if error else {})}


def _run(emulator: Emulator, deployment: Deployment, build: bool) -> None:
    timings = emulator.timings
    cancelled = deployment.cancelled

    def phase(status: str) -> bool:
        # A superseded or cancelled deployment stops where it is; its status was set by whoever cancelled it.
        if cancelled.is_set():
            return False
        emulator.set_status(deployment, status)
        return not cancelled.wait(timings.phase)

    if not phase("INITIALIZING"):
        return
    if deployment.repo:
        finish(emulator, begin(emulator, deployment, "SNAPSHOT_CODE"))
    if build:
        if not phase("BUILDING"):
            return
        event = begin(emulator, deployment, "BUILD_IMAGE")
        if cancelled.wait(timings.phase):
            return
        finish(emulator, event, detail=f"image {deployment.image or deployment.repo}")
        if deployment.repo:
            finish(emulator, begin(emulator, deployment, "PUBLISH_IMAGE"))
    if not phase("DEPLOYING"):
        return
    deploy = deployment.manifest.get("deploy") or {}
    if deploy.get("preDeployCommand"):
        event = begin(emulator, deployment, "PRE_DEPLOY_COMMAND")
        if cancelled.wait(timings.phase):
            return
        if deployment.behaviour.get("behaviour") == "migration_fails":
            finish(emulator, event, error="Pre-deploy command failed with exit code 1", attempt=1, maxAttempts=1)
            emulator.set_status(deployment, "FAILED")
            return
        finish(emulator, event, attempt=1, maxAttempts=1)
    event = begin(emulator, deployment, "CREATE_CONTAINER")
    process = _start_process(emulator, deployment)
    if cancelled.is_set():
        return
    if process is False:
        finish(emulator, event, error="Container failed to start")
        emulator.set_status(deployment, "FAILED")
        return
    finish(emulator, event)
    if deploy.get("healthcheckPath"):
        event = begin(emulator, deployment, "HEALTHCHECK")
        error, outcome, attempts = _healthcheck(emulator, deployment, str(deploy["healthcheckPath"]))
        if cancelled.is_set():
            return
        finish(emulator, event, error=error, attempt=attempts)
        if outcome != "SUCCESS":
            emulator.set_status(deployment, outcome)
            return
    _go_live(emulator, deployment)
    _monitor(emulator, deployment, deployment.generation)


def _go_live(emulator: Emulator, deployment: Deployment) -> None:
    """The new deployment takes the traffic; the previous live one is drained and removed."""
    with emulator.lock:
        if deployment.cancelled.is_set():
            return
        emulator.set_status(deployment, "SUCCESS")
        previous = [
            d
            for d in emulator.active_deployments(deployment.environment_id, deployment.service_id)
            if d is not deployment
        ]
    if previous:
        event = begin(emulator, deployment, "DRAIN_INSTANCES")
        for old in previous:
            emulator.set_status(old, "REMOVING")
            emulator.set_status(old, "REMOVED")
        finish(emulator, event)


def _healthcheck(emulator: Emulator, deployment: Deployment, path: str) -> tuple[str | None, str, int]:
    """Probe until HTTP 200 or the timeout: (error, resulting status, attempts)."""
    timings = emulator.timings
    configured = (deployment.manifest.get("deploy") or {}).get("healthcheckTimeout") or 300
    timeout = min(float(configured), timings.healthcheck_timeout)
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        with emulator.lock:
            process = emulator.processes.get(deployment.id)
        if process is not None:
            code = process.exit_code()
            if code is not None:
                return f"Container exited with code {code} during the healthcheck", "CRASHED", attempts
            if process.probe(path, timeout=max(1.0, timings.healthcheck_interval)) == 200:
                return None, "SUCCESS", attempts
        elif deployment.behaviour.get("behaviour") != "fails_health":
            return None, "SUCCESS", attempts
        if time.monotonic() >= deadline:
            return f"Healthcheck failed: {path} did not return 200 within {timeout:g}s", "FAILED", attempts
        if deployment.cancelled.wait(timings.healthcheck_interval):
            return None, "REMOVED", attempts


def _serve_live(emulator: Emulator, deployment: Deployment, build: bool) -> None:
    """Start the app of a deployment that is already live (seeded, or restarted) and watch it."""
    generation = deployment.generation
    if _start_process(emulator, deployment) is False:
        emulator.set_status(deployment, "CRASHED")
        return
    if deployment.status != "SUCCESS":
        emulator.set_status(deployment, "SUCCESS")
    _monitor(emulator, deployment, generation)


def _monitor(emulator: Emulator, deployment: Deployment, generation: int) -> None:
    """Watch a live deployment: when its app exits, restart it as the restart policy allows, else CRASHED."""
    timings = emulator.timings
    deploy = deployment.manifest.get("deploy") or {}
    policy = deploy.get("restartPolicyType") or "ON_FAILURE"
    max_restarts = int(deploy.get("restartPolicyMaxRetries", 10))
    while not deployment.cancelled.is_set() and deployment.generation == generation:
        with emulator.lock:
            process = emulator.processes.get(deployment.id)
        if process is not None:
            code = process.exit_code()
            if code is None:
                deployment.cancelled.wait(timings.healthcheck_interval)
                continue
        elif deployment.behaviour.get("behaviour") != "crashes":
            return
        elif deployment.cancelled.wait(float(deployment.behaviour.get("crash_after", timings.crash_after))):
            return
        else:
            code = 1
        if deployment.generation != generation or deployment.cancelled.is_set():
            return
        if policy != "NEVER" and (policy == "ALWAYS" or code != 0) and deployment.restarts < max_restarts:
            deployment.restarts += 1
            emulator.stop_process(deployment)
            if _start_process(emulator, deployment) is not False:
                continue
        emulator.set_status(deployment, "CRASHED")
        return


def _start_process(emulator: Emulator, deployment: Deployment) -> DemoProcess | None | bool:
    """The deployment's demo app: a process, None when processes are off, False when it would not start."""
    with emulator.lock:
        if not (emulator.start_processes and emulator.running) or deployment.cancelled.is_set():
            return None
        service = emulator.services[deployment.service_id]
        environment = emulator.environments[deployment.environment_id]
    image = deployment.image or ""
    last = image.rsplit("/", 1)[-1]
    spec = {
        "version": deployment.behaviour.get("version") or (last.rsplit(":", 1)[1] if ":" in last else image),
        "image": deployment.image,
        "commit": deployment.commit,
        "crash_after": emulator.timings.crash_after,
        **deployment.behaviour,
    }
    env = {
        **deployment.variables,
        "RAILWAY_DEPLOYMENT_ID": deployment.id,
        "RAILWAY_SERVICE_NAME": service.name,
        "RAILWAY_ENVIRONMENT_NAME": environment.name,
    }
    try:
        process = DemoProcess(spec, env, package_root=Path(__file__).resolve().parents[3])
    except (OSError, RuntimeError):
        return False
    with emulator.lock:
        if deployment.cancelled.is_set() or not emulator.running:
            keep = False
        else:
            emulator.processes[deployment.id] = process
            deployment.port = process.port
            keep = True
    if not keep:
        process.stop()
        return None
    return process
