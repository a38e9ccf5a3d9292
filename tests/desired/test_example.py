"""The shipped example desired-state/ and its committed JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import yaml

from reconciler.desired.load import load_desired_state
from reconciler.desired.schema import json_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]
DESIRED = ROOT / "desired-state"
FILES = sorted(DESIRED.glob("*.yaml"))


def test_committed_schema_is_current() -> None:
    committed = (DESIRED / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "desired-state/schema.json is stale: run `reconciler schema -o desired-state/schema.json`"
    )


def test_every_file_points_editors_at_the_schema() -> None:
    assert [path.name for path in FILES] == ["production.yaml", "staging.yaml"]
    for path in FILES:
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=./schema.json\n")


def test_example_files_satisfy_the_json_schema() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in FILES:
        # The JSON Schema sees YAML as an editor does; dates stay strings in our reader, so load them as text too.
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(_typed(document)))
        assert errors == [], (path, [error.message for error in errors])


def _typed(value: object) -> object:
    """BaseLoader gives every scalar as text; turn numbers and booleans back into JSON types."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    assert isinstance(value, str)
    if value in ("true", "false"):
        return value == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def test_schema_refuses_unknown_keys() -> None:
    schema = json_schema()
    document = {"environment": "x", "railway": {"project": "p", "environment": "e"}, "services": {}, "extra": 1}
    assert not jsonschema.Draft202012Validator(schema).is_valid(document)
    assert json.loads(schema_text()) == schema


def test_example_describes_the_fixia_guide() -> None:
    state = load_desired_state(DESIRED)
    assert state.promotion_order() == ["staging", "production"]
    production = state["production"]
    assert state.source_of("production") == DESIRED / "production.yaml"
    assert production.railway.project == "fixia"
    assert set(production.services) == {"api", "web", "worker"}
    assert production.promotion_source == "staging"
    api = production.services["api"]
    assert api.healthcheck is not None and api.healthcheck.path == "/health"
    assert api.healthcheck.expect == {"status": "ok", "checks": {"database": "up", "memory": "up", "disk": "up"}}
    assert api.version_check is not None and api.version_check.path == "/version"
    assert api.migrations is not None
    assert production.backup_required_before_deploy(with_migrations=True)
    for service in production.services.values():
        assert service.replicas == 1
        assert service.replica_bounds == (1, 5)
        assert service.autoscaling is not None
        assert (service.autoscaling.cpu_percent, service.autoscaling.memory_percent) == (70, 80)
    window = production.deploy_window
    assert window is not None
    assert window.is_open(datetime(2026, 12, 1, 2, 30, tzinfo=UTC))
    assert not window.is_open(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    assert production.verification.metrics["error_rate"].rollback_above == 0.10
    assert production.rollback.automatic
    tasks = production.maintenance.tasks()
    assert all(tasks[cadence] for cadence in ("daily", "weekly", "monthly", "quarterly"))
    checks = {task.check for cadence in tasks.values() for task in cadence}
    assert {"error_logs", "restore_test", "slow_queries", "capacity", "security_audit"} <= checks
    assert production.backups is not None and production.backups.retention.keep_daily == 7
