"""The JSON Schema of one environment file, for editors (`# yaml-language-server: $schema=./schema.json`)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from reconciler.desired import model
from reconciler.desired.durations import format_duration

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _durations_as_written(schema: dict[str, Any]) -> None:
    """Show duration defaults as people write them (`5m`), not as ISO 8601 (`PT5M`)."""
    for name in model.__all__:
        kind = getattr(model, name)
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            continue
        target = schema if kind is model.Environment else schema["$defs"].get(name)
        if target is None:
            continue
        for field_name, field in kind.model_fields.items():
            if isinstance(field.default, timedelta):
                target["properties"][field.alias or field_name]["default"] = format_duration(field.default)


def json_schema() -> dict[str, Any]:
    """The schema of the YAML a user writes (keys by their YAML names), generated from the models."""
    schema = model.Environment.model_json_schema(by_alias=True, mode="validation")
    _durations_as_written(schema)
    # Top-level x-… keys may hold YAML anchors to share between services; the loader ignores them.
    schema["patternProperties"] = {"^x-": {"description": "anything, e.g. a YAML anchor to reuse; ignored"}}
    return {"$schema": DIALECT, **schema, "title": "reconciler desired state (one environment)"}


def schema_text() -> str:
    """The schema as committed in desired-state/schema.json: stable key order, two-space indent, final newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
