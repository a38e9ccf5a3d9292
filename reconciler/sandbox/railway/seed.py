"""Seeding the emulator from a YAML or JSON file, or a Python dict (the format is in the package docstring)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.sandbox.railway import config as cfg
from reconciler.sandbox.railway.load import load_model
from reconciler.sandbox.railway.model import Deployment, Environment, Project, Service, VolumeInstance, new_id

if TYPE_CHECKING:
    from reconciler.sandbox.railway.emulator import Emulator

CONFIG_KEYS = ("source", "deploy", "build", "variables", "volumeMounts", "networking")
EMULATOR_KEYS = ("load", "history", "deployed")
DEFAULT_SEED = Path(__file__).with_name("default-seed.yaml")
SCHEDULE_RETENTION = {"DAILY": 6 * 86400, "WEEKLY": 31 * 86400, "MONTHLY": 92 * 86400}


class SeedError(ValueError):
    """A seed that cannot be loaded; the message names where in the seed the problem is (1-based line, column)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def load_seed(path: Path) -> dict[str, Any]:
    """Read a seed file: JSON when it ends in .json, YAML otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise SeedError(f"invalid JSON: {error.msg}", error.lineno, error.colno) from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise SeedError(f"invalid YAML: {error.problem}", line, column) from error
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SeedError(f"cannot read the seed: {error}") from error
    if not isinstance(data, dict):
        raise SeedError("the seed must be a mapping", 1, 1)
    return data


def _mapping(value: Any, where: str, allowed: set[str] | None = None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SeedError(f"{where}: expected a mapping")
    if allowed is not None and set(value) - allowed:
        raise SeedError(f"{where}: unknown keys {sorted(set(value) - allowed)}; allowed: {sorted(allowed)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"{where}: expected a list")
    return value


def _named(item: Any, where: str) -> dict[str, Any]:
    """A list entry given as a name or as {name, id}."""
    if isinstance(item, str):
        return {"name": item}
    entry = _mapping(item, where, {"name", "id"})
    if not isinstance(entry.get("name"), str):
        raise SeedError(f"{where}: a name is required")
    return entry


def _variables(values: Any, where: str) -> dict[str, Any]:
    table = {}
    for name, spec in _mapping(values, where).items():
        table[name] = dict(spec) if isinstance(spec, dict) else {"value": None if spec is None else str(spec)}
    return table


def apply_seed(emulator: Emulator, seed: dict[str, Any], *, timings_given: bool, processes_given: bool) -> None:
    """Fill an empty emulator from a seed mapping."""
    from reconciler.sandbox.railway.emulator import Timings

    _mapping(seed, "seed", {"settings", "behaviours", "tokens", "projects"})
    settings = _mapping(seed.get("settings"), "settings", {"timings", "processes", "retention_hours"})
    if "timings" in settings and not timings_given:
        try:
            emulator.timings = Timings(**_mapping(settings["timings"], "settings.timings"))
        except TypeError as error:
            raise SeedError(f"settings.timings: {error}") from error
    if "processes" in settings and not processes_given:
        emulator.start_processes = bool(settings["processes"])
    emulator.retention_hours = float(settings.get("retention_hours", emulator.retention_hours))
    for version, behaviour in _mapping(seed.get("behaviours"), "behaviours").items():
        try:
            emulator.set_behaviour(str(version), behaviour)
        except ValueError as error:
            raise SeedError(f"behaviours.{version}: {error}") from error
    for index, project in enumerate(_list(seed.get("projects"), "projects")):
        _seed_project(emulator, _mapping(project, f"projects[{index}]"), f"projects[{index}]")
    for token, scope in _mapping(seed.get("tokens"), "tokens").items():
        scope = _mapping(scope, f"tokens.{token}", {"project", "environment"})
        emulator.tokens[token] = _token_scope(emulator, scope, f"tokens.{token}")


def _token_scope(emulator: Emulator, scope: dict[str, Any], where: str) -> tuple[str, str]:
    for environment in emulator.environments.values():
        project = emulator.projects[environment.project_id]
        if scope.get("project") in (project.id, project.name) and scope.get("environment") in (
            environment.id,
            environment.name,
        ):
            return project.id, environment.id
    raise SeedError(f"{where}: no such project and environment")


def _seed_project(emulator: Emulator, spec: dict[str, Any], where: str) -> None:
    _mapping(spec, where, {"name", "id", "services", "volumes", "environments"})
    now = emulator.clock()
    project = Project(spec.get("id") or new_id("project"), str(spec.get("name") or "project"), now)
    emulator.projects[project.id] = project
    services: dict[str, Service] = {}
    for index, item in enumerate(_list(spec.get("services"), f"{where}.services")):
        entry = _named(item, f"{where}.services[{index}]")
        service = Service(entry.get("id") or new_id("service"), entry["name"], project.id, now)
        services[service.name] = emulator.services[service.id] = service
    volumes: dict[str, str] = {}
    for index, item in enumerate(_list(spec.get("volumes"), f"{where}.volumes")):
        entry = _named(item, f"{where}.volumes[{index}]")
        volumes[entry["name"]] = entry.get("id") or new_id("volume")
    for index, item in enumerate(_list(spec.get("environments"), f"{where}.environments")):
        _seed_environment(emulator, project, services, volumes, item, f"{where}.environments[{index}]")


def _seed_environment(
    emulator: Emulator,
    project: Project,
    services: dict[str, Service],
    volumes: dict[str, str],
    item: Any,
    where: str,
) -> None:
    spec = _mapping(item, where, {"name", "id", "services", "shared_variables", "volumes"})
    now = emulator.clock()
    environment = Environment(spec.get("id") or new_id("environment"), str(spec.get("name")), project.id, now)
    environment.updated_at, environment.commits = now, 1
    config: dict[str, Any] = {"services": {}, "sharedVariables": _variables(spec.get("shared_variables"), where)}
    extras: dict[str, dict[str, Any]] = {}
    for name, body in _mapping(spec.get("services"), f"{where}.services").items():
        at = f"{where}.services.{name}"
        if name not in services:
            raise SeedError(f"{at}: no service named {name!r} in the project")
        body = _mapping(body, at, set(CONFIG_KEYS) | set(EMULATOR_KEYS))
        entry = {key: body[key] for key in CONFIG_KEYS if key in body}
        entry["variables"] = _variables(body.get("variables"), f"{at}.variables")
        service_id = services[name].id
        config["services"][service_id] = entry
        extras[service_id] = {key: body[key] for key in EMULATOR_KEYS if key in body}
        try:
            emulator.loads[(environment.id, service_id)] = load_model(body.get("load"))
        except ValueError as error:
            raise SeedError(f"{at}: {error}") from error
    allowed = {"service", "mount_path", "size_mb", "backup_schedules", "region", "current_size_mb"}
    for name, body in _mapping(spec.get("volumes"), f"{where}.volumes").items():
        at = f"{where}.volumes.{name}"
        body = _mapping(body, at, allowed)
        if name not in volumes:
            raise SeedError(f"{at}: no volume named {name!r} in the project")
        owner = services.get(str(body.get("service")))
        if owner is None or owner.id not in config["services"]:
            raise SeedError(f"{at}: service must name a service of this environment")
        volume_id = volumes[name]
        region = str(body.get("region") or cfg.DEFAULT_REGION)
        config.setdefault("volumes", {})[volume_id] = {"sizeMB": int(body.get("size_mb", 5000)), "region": region}
        mounts = config["services"][owner.id].setdefault("volumeMounts", {})
        mounts[volume_id] = {"mountPath": str(body.get("mount_path", "/data")),
                             "backupSchedules": list(body.get("backup_schedules") or [])}  # fmt: skip
        instance = VolumeInstance(new_id("volume-instance"), volume_id, name, project.id, environment.id, owner.id,
                                  int(body.get("size_mb", 5000)), float(body.get("current_size_mb", 100)), region,
                                  now)  # fmt: skip
        emulator.volume_instances[instance.id] = instance
    environment.config = config
    emulator.environments[environment.id] = environment
    for service_id, extra in extras.items():
        _seed_deployments(emulator, environment, service_id, extra, f"{where}.services")


def _seed_deployments(
    emulator: Emulator, environment: Environment, service_id: str, extra: dict[str, Any], where: str
) -> None:
    """The live deployment (unless `deployed: false`) and older successful ones (`history`, oldest first)."""
    service = environment.config["services"][service_id]
    spread = cfg.regions(service)
    emulator.replica_history[(environment.id, service_id)] = [(emulator.epoch, spread)]
    image = (service.get("source") or {}).get("image")
    if not (service.get("source") or {}) or extra.get("deployed") is False:
        return
    history = [str(old) for old in _list(extra.get("history"), f"{where}.history")]
    now = emulator.clock()
    for age, older in enumerate([*history, image]):
        is_live = age == len(history)
        manifest = cfg.manifest(service)
        manifest["source"]["image"] = older
        deployment = Deployment(
            id=new_id("deploy"), project_id=environment.project_id, environment_id=environment.id,
            service_id=service_id, created_at=now - 600 * (len(history) - age), reason="seed", image=older,
            repo=(service.get("source") or {}).get("repo"), commit=None, manifest=manifest,
            variables=cfg.render_variables(environment.config, service_id, sealed=True),
            behaviour=emulator.behaviour_for(older), replicas=cfg.replica_count(service),
            status="SUCCESS" if is_live else "REMOVED", succeeded=True,
        )  # fmt: skip
        emulator.deployments[deployment.id] = deployment
