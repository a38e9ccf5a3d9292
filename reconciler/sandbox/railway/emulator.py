"""The emulator's state and the actions the API exposes: commit patches, deploy, scale, roll back, restart.

`Emulator` holds everything under one re-entrant lock; resolvers and the deployment lifecycle threads call its
methods. A failed action raises `ApiError`, whose message becomes the GraphQL error message.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.sandbox.railway import config as cfg
from reconciler.sandbox.railway import runtime
from reconciler.sandbox.railway.edge import Edge
from reconciler.sandbox.railway.lifecycle import launch
from reconciler.sandbox.railway.lifecycle import restart as restart_deployment
from reconciler.sandbox.railway.load import LoadModel, load_model
from reconciler.sandbox.railway.model import (
    BEHAVIOURS,
    FAST,
    IN_PROGRESS_STATUSES,
    ApiError,
    Deployment,
    Environment,
    PatchRecord,
    Project,
    Service,
    Timings,
    VolumeInstance,
    new_id,
)
from reconciler.sandbox.railway.processes import DemoProcess

__all__ = ["FAST", "ApiError", "Emulator", "Timings"]


class Emulator:
    """Railway's state in memory: projects, environments (with their config documents), deployments, variables."""

    def __init__(
        self,
        seed: dict[str, Any] | None = None,
        *,
        timings: Timings | None = None,
        processes: bool | None = None,
        clock: Callable[[], float] = time.time,
        retention_hours: float = 72.0,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.epoch = clock()
        self.timings = timings or Timings()
        self.start_processes = True if processes is None else processes
        self.retention_hours = retention_hours
        self.projects: dict[str, Project] = {}
        self.services: dict[str, Service] = {}
        self.environments: dict[str, Environment] = {}
        self.volume_instances: dict[str, VolumeInstance] = {}
        self.deployments: dict[str, Deployment] = {}
        self.behaviours: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, tuple[str, str]] = {}
        self.loads: dict[tuple[str, str], LoadModel] = {}
        self.replica_history: dict[tuple[str, str], list[tuple[float, dict[str, int]]]] = {}
        self.processes: dict[str, DemoProcess] = {}
        self.served: dict[str, list[list[Any]]] = {}
        self.threads: list[threading.Thread] = []
        self.edges: dict[tuple[str, str], Edge] = {}
        self.running = False
        if seed is not None:
            from reconciler.sandbox.railway.seed import apply_seed

            apply_seed(self, seed, timings_given=timings is not None, processes_given=processes is not None)

    # ---- lookups ---------------------------------------------------------------------------------------------
    def project(self, project_id: str) -> Project:
        if project_id not in self.projects:
            raise ApiError("Project not found")
        return self.projects[project_id]

    def environment(self, environment_id: str) -> Environment:
        if environment_id not in self.environments:
            raise ApiError("Environment not found")
        return self.environments[environment_id]

    def service(self, service_id: str) -> Service:
        if service_id not in self.services:
            raise ApiError("Service not found")
        return self.services[service_id]

    def deployment(self, deployment_id: str) -> Deployment:
        if deployment_id not in self.deployments:
            raise ApiError("Deployment not found")
        return self.deployments[deployment_id]

    def service_config(self, environment_id: str, service_id: str) -> dict[str, Any]:
        services = self.environment(environment_id).config.get("services") or {}
        if service_id not in services:
            raise ApiError("ServiceInstance not found")
        config: dict[str, Any] = services[service_id]
        return config

    def instance_ids(self, environment_id: str) -> list[str]:
        """The services with an instance in the environment, by service name."""
        services = self.environment(environment_id).config.get("services") or {}
        return sorted((sid for sid in services if sid in self.services), key=lambda sid: self.services[sid].name)

    def deployments_of(self, environment_id: str | None = None, service_id: str | None = None) -> list[Deployment]:
        """Deployments, newest first, filtered by environment and service."""
        chosen = [
            d
            for d in self.deployments.values()
            if (environment_id is None or d.environment_id == environment_id)
            and (service_id is None or d.service_id == service_id)
        ]
        return sorted(chosen, key=lambda d: d.seq, reverse=True)

    def active_deployments(self, environment_id: str, service_id: str) -> list[Deployment]:
        return [d for d in self.deployments_of(environment_id, service_id) if d.status in ("SUCCESS", "SLEEPING")]

    def can_rollback(self, deployment: Deployment) -> bool:
        """A deployment that once succeeded, is not the one serving, and whose image is still retained."""
        if not deployment.succeeded or deployment.image is None or deployment.status == "SUCCESS":
            return False
        return self.clock() - deployment.created_at <= self.retention_hours * 3600

    def behaviour_for(self, image: str | None) -> dict[str, Any]:
        """The seeded behaviour of a version: by full image reference, else by tag, else healthy."""
        if image:
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            for key in (image, tag):
                if key in self.behaviours:
                    return dict(self.behaviours[key])
        return {"behaviour": "healthy"}

    def set_behaviour(self, version: str, behaviour: str | dict[str, Any]) -> None:
        """Choose how a version (full image reference or tag) behaves when deployed from now on."""
        spec = {"behaviour": behaviour} if isinstance(behaviour, str) else dict(behaviour)
        if spec.get("behaviour") not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {spec.get('behaviour')!r}; expected one of {sorted(BEHAVIOURS)}")
        with self.lock:
            self.behaviours[version] = spec

    def set_load(self, environment_id: str, service_id: str, spec: dict[str, Any]) -> None:
        with self.lock:
            self.loads[(environment_id, service_id)] = load_model(spec)

    def regions_at(self, environment_id: str, service_id: str, ts: float) -> dict[str, int]:
        """Replicas per region that were running at `ts` (epoch seconds)."""
        history = self.replica_history.get((environment_id, service_id), [])
        current: dict[str, int] = history[0][1] if history else {}
        for since, spread in history:
            if since <= ts:
                current = spread
        return current

    def _record_replicas(self, environment_id: str, service_id: str, spread: dict[str, int]) -> None:
        self.replica_history.setdefault((environment_id, service_id), []).append((self.clock(), dict(spread)))

    # ---- environment patches --------------------------------------------------------------------------------
    def commit_patch(
        self, environment_id: str, patch: Any, message: str | None = None, *, skip_deploys: bool = False
    ) -> str:
        """Merge `patch` into the environment's config and start what it asks for; returns the commit's id."""
        if patch is None:
            patch = {}
        if not isinstance(patch, dict) or not all(
            isinstance(patch.get(key) or {}, dict) for key in ("services", "sharedVariables", "volumes")
        ):
            raise ApiError("Invalid environment config patch: expected an object")
        with self.lock:
            environment = self.environment(environment_id)
            for service_id in (patch.get("services") or {}).keys():
                if self.services.get(service_id, None) is None or (
                    self.services[service_id].project_id != environment.project_id
                ):
                    raise ApiError(f"Service not found: {service_id}")
            before = environment.config
            environment.config = cfg.merge(before, patch)
            environment.commits += 1
            environment.updated_at = self.clock()
            record = PatchRecord(new_id("patch"), environment_id, copy.deepcopy(patch), "COMMITTED", message,
                                 self.clock(), applied_at=self.clock())  # fmt: skip
            environment.history.append(record)
            old_services, new_services = before.get("services") or {}, environment.config.get("services") or {}
            for service_id in set(old_services) | set(new_services):
                kind = cfg.change_kind(old_services.get(service_id), new_services.get(service_id))
                if kind == "remove":
                    self._remove_instance(environment_id, service_id)
                elif kind == "scale":
                    self._scale(environment_id, service_id)
                elif kind == "deploy" and not skip_deploys and (new_services[service_id].get("source") or {}):
                    self.deploy(environment_id, service_id, reason="deploy")
            return record.id

    def stage(self, environment_id: str, patch: Any, merge: bool | None) -> PatchRecord:
        if not isinstance(patch, dict):
            raise ApiError("Invalid environment config patch: expected an object")
        with self.lock:
            environment = self.environment(environment_id)
            staged = environment.staged
            if staged is not None and merge:
                staged.patch = cfg.merge(staged.patch, patch)
                return staged
            environment.staged = PatchRecord(new_id("patch"), environment_id, copy.deepcopy(patch), "STAGED", None,
                                             self.clock())  # fmt: skip
            return environment.staged

    def commit_staged(self, environment_id: str, message: str | None, skip_deploys: bool) -> str:
        with self.lock:
            environment = self.environment(environment_id)
            if environment.staged is None:
                raise ApiError("No staged changes to commit")
            staged, environment.staged = environment.staged, None
            return self.commit_patch(environment_id, staged.patch, message or staged.message, skip_deploys=skip_deploys)

    def upsert_variables(
        self, environment_id: str, service_id: str | None, values: dict[str, Any], *, replace: bool, skip: bool
    ) -> None:
        with self.lock:
            environment = self.environment(environment_id)
            if service_id is None:
                current = environment.config.get("sharedVariables") or {}
                table: dict[str, Any] = {name: None for name in current} if replace else {}
                table.update({name: {"value": str(value)} for name, value in values.items()})
                self.commit_patch(environment_id, {"sharedVariables": table}, skip_deploys=skip)
                return
            current = self.service_config(environment_id, service_id).get("variables") or {}
            table = {name: None for name in current} if replace else {}
            table.update({name: {"value": str(value)} for name, value in values.items()})
            self.commit_patch(environment_id, {"services": {service_id: {"variables": table}}}, skip_deploys=skip)

    # ---- deployments ----------------------------------------------------------------------------------------
    def deploy(
        self,
        environment_id: str,
        service_id: str,
        *,
        reason: str,
        build: bool = True,
        image: str | None = None,
        variables: dict[str, str] | None = None,
        commit: str | None = None,
    ) -> Deployment:
        """Create a deployment from the instance's current config (overriding the image/variables) and start it."""
        with self.lock:
            environment = self.environment(environment_id)
            service = self.service_config(environment_id, service_id)
            manifest = cfg.manifest(service)
            source = manifest["source"]
            if image is not None:
                source["image"] = image
            for old in self.deployments_of(environment_id, service_id):
                if old.status in IN_PROGRESS_STATUSES:
                    self.set_status(old, "REMOVED")
            now = self.clock()
            deployment = Deployment(
                id=new_id("deploy"), project_id=environment.project_id, environment_id=environment_id,
                service_id=service_id, created_at=now, reason=reason, image=source.get("image"),
                repo=source.get("repo"), commit=commit or source.get("commitSha"), manifest=manifest,
                variables=variables if variables is not None else cfg.render_variables(environment.config, service_id,
                                                                                     sealed=True),
                behaviour=self.behaviour_for(source.get("image")), replicas=cfg.replica_count(service),
            )  # fmt: skip
            self.deployments[deployment.id] = deployment
        launch(self, deployment, build=build)
        return deployment

    def rollback(self, deployment_id: str) -> None:
        """Deploy an earlier deployment's image and variables again, with no build; the config follows the image."""
        with self.lock:
            target = self.deployment(deployment_id)
            if not self.can_rollback(target):
                raise ApiError("Deployment cannot be rolled back")
            config = self.service_config(target.environment_id, target.service_id)
            config.setdefault("source", {})["image"] = target.image
            self.environment(target.environment_id).commits += 1
            self.deploy(target.environment_id, target.service_id, reason="rollback", build=False, image=target.image,
                        variables=dict(target.variables))  # fmt: skip

    def redeploy(self, deployment_id: str) -> Deployment:
        """Build and deploy the same source again (`deploymentRedeploy`)."""
        with self.lock:
            target = self.deployment(deployment_id)
            return self.deploy(target.environment_id, target.service_id, reason="redeploy", image=target.image,
                               variables=dict(target.variables), commit=target.commit)  # fmt: skip

    def latest_deployment(self, environment_id: str, service_id: str) -> Deployment | None:
        found = self.deployments_of(environment_id, service_id)
        return found[0] if found else None

    def restart(self, deployment_id: str) -> None:
        with self.lock:
            deployment = self.deployment(deployment_id)
            if deployment.status not in ("SUCCESS", "CRASHED", "SLEEPING"):
                raise ApiError("Deployment cannot be restarted")
        restart_deployment(self, deployment)

    def set_status(self, deployment: Deployment, status: str) -> None:
        """Move a deployment to `status`; leaving the running states stops its process."""
        with self.lock:
            if deployment.status == status:
                return
            deployment.status = status
            deployment.history.append(status)
            deployment.status_updated_at = deployment.updated_at = self.clock()
            if status == "SUCCESS":
                deployment.succeeded = True
                spread = cfg.regions(deployment.manifest)
                self._record_replicas(deployment.environment_id, deployment.service_id, spread)
            if status not in IN_PROGRESS_STATUSES and status not in ("SUCCESS", "SLEEPING"):
                deployment.cancelled.set()
        if status not in IN_PROGRESS_STATUSES and status not in ("SUCCESS", "SLEEPING"):
            self.stop_process(deployment)

    def _scale(self, environment_id: str, service_id: str) -> None:
        """A replicas-only change: the running deployment takes the new count, no build and no new deployment."""
        service = self.service_config(environment_id, service_id)
        deploy_section = copy.deepcopy(service.get("deploy") or {})
        for deployment in self.deployments_of(environment_id, service_id):
            if deployment.status in IN_PROGRESS_STATUSES or deployment.status in ("SUCCESS", "SLEEPING"):
                for key in cfg.SCALE_KEYS:
                    deployment.manifest["deploy"].pop(key, None)
                    if key in deploy_section:
                        deployment.manifest["deploy"][key] = copy.deepcopy(deploy_section[key])
                deployment.replicas = cfg.replica_count(service)
                deployment.updated_at = self.clock()
        self._record_replicas(environment_id, service_id, cfg.regions(service))

    def _remove_instance(self, environment_id: str, service_id: str) -> None:
        for deployment in self.deployments_of(environment_id, service_id):
            if deployment.status in IN_PROGRESS_STATUSES or deployment.status in ("SUCCESS", "SLEEPING"):
                self.set_status(deployment, "REMOVED")

    # ---- processes ------------------------------------------------------------------------------------------
    def stop_process(self, deployment: Deployment) -> None:
        """Stop a deployment's demo app, keeping what it served for the HTTP metrics."""
        with self.lock:
            process = self.processes.get(deployment.id)
            if process is not None:
                # Collect before forgetting the process, so a metrics query never sees the rows missing.
                self.collect_served(deployment.id, process)
                del self.processes[deployment.id]
        if process is not None:
            process.stop()

    def collect_served(self, deployment_id: str, process: DemoProcess | None = None) -> list[list[Any]]:
        """Everything a deployment's app served so far (fetched from the live app, kept after it stops).

        Holds the lock across the fetch, so two collections never add the same rows twice.
        """
        with self.lock:
            rows = self.served.setdefault(deployment_id, [])
            process = process or self.processes.get(deployment_id)
            if process is not None:
                last = rows[-1][0] if rows else 0.0
                rows.extend(row for row in process.served_since(last) if row[0] > last)
            return rows

    # ---- running (see runtime.py) -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the demo apps of the live deployments and the services' stable addresses; returns once they answer."""
        runtime.start(self)

    def stop(self) -> None:
        """Stop every lifecycle thread, demo app and address. Safe to call more than once."""
        runtime.stop(self)

    def service_url(self, environment: str, service: str) -> str:
        """The stable base URL of a service instance (names or ids), e.g. http://127.0.0.1:41234."""
        return runtime.service_url(self, environment, service)

    def wait_for(self, deployment_id: str, statuses: Iterable[str], timeout: float = 10.0) -> str:
        """Block until the deployment reaches one of `statuses` (for tests and the sandbox); returns the status."""
        return runtime.wait_for(self, deployment_id, statuses, timeout)
