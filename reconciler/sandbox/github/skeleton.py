"""Complete a response body with the required fields the stand-in has no state for, shaped by the slice's schemas.

The builders set every field that carries state (ids, numbers, titles, shas, states, URLs PyGithub follows); this
module fills the rest of what GitHub always sends (counters, flags, `*_url` links, nulls) with neutral values:
`null` where the schema allows it, else the first enum value, `0`, `false`, `""`, `[]`, or a nested skeleton.
URL-like fields point back at the stand-in (the object's own `url` plus a suffix), never at api.github.com.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.github.spec import Spec, load_spec

EPOCH = "2026-01-01T00:00:00Z"


def _resolve(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec.schema(name)
    return schema


def _nullable(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    if isinstance(kinds, list) and "null" in kinds:
        return True
    return any(option.get("type") == "null" for option in schema.get("anyOf", []))


def _first_option(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            if option.get("type") != "null":
                return _resolve(spec, option)
    return schema


def _default(spec: Spec, schema: dict[str, Any], name: str, url_root: str) -> Any:
    schema = _resolve(spec, schema)
    option = _first_option(spec, schema)
    kinds = option.get("type")
    if (name == "url" or name.endswith("_url")) and (
        kinds == "string" or isinstance(kinds, list) and "string" in kinds
    ):
        return f"{url_root}/{name.removesuffix('_url')}" if name != "url" else url_root
    if _nullable(schema):
        return None
    schema = option
    if "allOf" in schema:
        return _fill(spec, {"allOf": schema["allOf"]}, {}, url_root)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "string":
        return EPOCH if schema.get("format") == "date-time" else ""
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return _fill(spec, schema, {}, url_root)


def _fill(spec: Spec, schema: dict[str, Any], partial: dict[str, Any], url_root: str) -> dict[str, Any]:
    schema = _first_option(spec, _resolve(spec, schema))
    out = dict(partial)
    own_url = out.get("url")
    root = own_url if isinstance(own_url, str) else url_root
    for part in schema.get("allOf", []):
        out = _fill(spec, part, out, root)
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in out:
            out[name] = _default(spec, properties.get(name, {}), name, root)
    for name, value in list(out.items()):
        prop = properties.get(name)
        if prop is None:
            continue
        prop = _first_option(spec, _resolve(spec, prop))
        if isinstance(value, dict):
            out[name] = _fill(spec, prop, value, root)
        elif isinstance(value, list) and "items" in prop:
            out[name] = [_fill(spec, prop["items"], v, root) if isinstance(v, dict) else v for v in value]
    return out


def complete(schema_name: str, partial: dict[str, Any], url_root: str) -> dict[str, Any]:
    """`partial` plus every required field of `#/components/schemas/<schema_name>` it lacks, recursively."""
    spec = load_spec()
    return _fill(spec, {"$ref": f"#/components/schemas/{schema_name}"}, partial, url_root)
