"""The JSON Schema of one environment file, for editors (`# yaml-language-server: $schema=./schema.json`)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.desired.model import Environment

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    """The schema of the YAML a user writes (keys by their YAML names), generated from the models."""
    schema = Environment.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": DIALECT, **schema, "title": "reconciler desired state (one environment)"}


def schema_text() -> str:
    """The schema as committed in desired-state/schema.json: stable key order, two-space indent, final newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
