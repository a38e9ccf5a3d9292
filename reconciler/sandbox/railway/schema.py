"""Where the emulator's schema comes from: Railway's real SDL, built once per process with graphql-core.

The shared copy (`<repo>/../shared/railway/schema.graphql`) wins when it exists, so the emulator always serves
what the client is validated against; the vendored copy next to this module makes the package work anywhere.
`RECONCILER_RAILWAY_SCHEMA` overrides both.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, build_schema

SCHEMA_ENV = "RECONCILER_RAILWAY_SCHEMA"
VENDORED_SCHEMA = Path(__file__).with_name("schema.graphql")
# reconciler/sandbox/railway/schema.py -> parents[3] is the repository root.
SHARED_SCHEMA = Path(__file__).resolve().parents[3].parent / "shared" / "railway" / "schema.graphql"


def schema_path() -> Path:
    """The SDL file to serve: the setting, else the shared copy next to the repository, else the vendored one."""
    configured = os.environ.get(SCHEMA_ENV)
    if configured:
        return Path(configured)
    if SHARED_SCHEMA.is_file():
        return SHARED_SCHEMA
    return VENDORED_SCHEMA


@functools.lru_cache(maxsize=4)
def _build(path: str, mtime: float) -> GraphQLSchema:
    # Building the 6,800-line SDL takes about half a second, so every emulator in a process shares one.
    schema = build_schema(Path(path).read_text(encoding="utf-8"))
    _tolerate_deprecated_implementations(schema)
    return schema


def _tolerate_deprecated_implementations(schema: GraphQLSchema) -> None:
    """Railway deprecates `Team.id` although `Node.id` is not deprecated, which graphql-core 3.3 rejects as an
    invalid schema (so it would validate no document at all). Railway serves it anyway; so do we, by lifting the
    deprecation of such implementation fields only. Every other field keeps its deprecation."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for interface in named.interfaces:
            for name, field in named.fields.items():
                inherited = interface.fields.get(name)
                if inherited is not None and field.deprecation_reason and not inherited.deprecation_reason:
                    field.deprecation_reason = None


def load_schema(path: Path | None = None) -> GraphQLSchema:
    """Railway's schema built from SDL (cached per file and modification time)."""
    chosen = path or schema_path()
    return _build(str(chosen), chosen.stat().st_mtime)
