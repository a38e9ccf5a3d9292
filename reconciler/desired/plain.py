"""An `Annotated` marker that hands pydantic a finished schema: a plain validator, a text serializer, a JSON Schema.

pydantic's PlainValidator + PlainSerializer + WithJsonSchema build the same core schema, but PlainValidator first
derives a schema for the annotated type and throws it away (for a deploy window, a whole dataclass schema): work
that every cold start pays at every field that uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import core_schema


class Plain:
    """`Annotated[T, Plain(validate, serialize, json_schema)]`: `validate` alone makes a T; `serialize` writes text."""

    def __init__(
        self,
        validate: Callable[[Any], Any],
        serialize: Callable[[Any], str],
        json_schema: dict[str, Any],
        *,
        json_only: bool = False,
    ) -> None:
        self.validate = validate
        self.serialize = serialize
        self.json_schema = json_schema
        self.when_used: core_schema.WhenUsed = "json" if json_only else "always"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        # A new schema each time: pydantic may annotate the dicts it is given.
        serialization = core_schema.plain_serializer_function_ser_schema(
            self.serialize, info_arg=False, return_schema=core_schema.str_schema(), when_used=self.when_used
        )
        return core_schema.no_info_plain_validator_function(
            self.validate, serialization=serialization, json_schema_input_schema=core_schema.any_schema()
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return dict(self.json_schema)
