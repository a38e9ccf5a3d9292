"""A PostgreSQL server for the sandbox and the tests: the given URL when it answers, else a throwaway cluster.

The throwaway cluster itself (`PostgresCluster`, from the installed binaries) lives in `reconciler.providers.pgcluster`,
since a full backup verification uses it too; this module only adds the "reuse a server that answers" choice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.providers.pgcluster import PostgresCluster
from reconciler.providers.postgres import is_reachable

__all__ = ["DEFAULT_URL", "PostgresCluster", "postgres_server"]

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def postgres_server(url: str | None = None) -> Iterator[str]:
    """A server URL: `url`, else $DATABASE_URL, else the local default, if it answers; else a throwaway cluster."""
    candidate = url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if is_reachable(candidate):
        yield candidate
        return
    with PostgresCluster() as cluster:
        yield cluster.url
