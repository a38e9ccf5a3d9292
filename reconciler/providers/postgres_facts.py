"""Read-only facts about a PostgreSQL database for the planner: version, size, connections, applied migrations.

The connection can never write: the session defaults to read-only transactions, the one transaction we open is
`READ ONLY`, and every statement has a timeout, so observing a busy production database cannot hold it up.
psycopg stays inside this module; callers get a `DatabaseReading` or a `ProviderError` that never holds the URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reconciler.errors import PermanentError, ProviderError, TemporaryError

# Columns that name a migration in the tables of common tools, most specific first:
# prisma (migration_name), knex/sequelize/typeorm (name), rails/goose/golang-migrate (version), alembic (version_num).
_NAME_COLUMNS = ("migration_name", "name", "version", "version_num", "id")


@dataclass(frozen=True)
class DatabaseReading:
    server_version: str
    server_version_num: int
    connections: int
    max_connections: int
    size_bytes: int
    applied_migrations: tuple[str, ...] | None
    """None when no table was asked for or it does not exist."""

    @property
    def server_major(self) -> int:
        return self.server_version_num // 10000


def _safe(url: str) -> str:
    from reconciler.providers.postgres import describe_url

    return describe_url(url)


def _translate(error: Exception, url: str, doing: str) -> ProviderError:
    import psycopg

    first = (str(error).strip().splitlines() or [type(error).__name__])[0].replace(url, _safe(url))
    message = f"PostgreSQL {_safe(url)}: {doing} failed: {first}"
    if isinstance(error, psycopg.OperationalError | psycopg.errors.QueryCanceled):
        return TemporaryError(message)
    return PermanentError(message)


@contextmanager
def read_only_connection(url: str, *, statement_timeout_ms: int = 5000, connect_timeout: int = 5) -> Iterator[Any]:
    """A psycopg connection that cannot write (read-only session default and READ ONLY transactions) and whose
    statements time out; errors are translated, the URL's password never appears in them."""
    import psycopg

    options = f"-c default_transaction_read_only=on -c statement_timeout={int(statement_timeout_ms)}"
    try:
        conn = psycopg.connect(url, connect_timeout=connect_timeout, options=options, autocommit=False)
    except psycopg.Error as e:
        raise _translate(e, url, "connect") from e
    try:
        conn.read_only = True
        yield conn
    finally:
        conn.close()


def read_database(
    url: str, *, migrations_table: str | None = None, statement_timeout_ms: int = 5000, connect_timeout: int = 5
) -> DatabaseReading:
    """Observe the database behind `url` on a read-only connection with a statement timeout. Read-only."""
    import psycopg

    with read_only_connection(url, statement_timeout_ms=statement_timeout_ms, connect_timeout=connect_timeout) as conn:
        try:
            with conn.transaction():
                row = conn.execute(
                    "select current_setting('server_version'), current_setting('server_version_num')::int,"
                    " (select count(*) from pg_stat_activity where datname is not null)::int,"
                    " current_setting('max_connections')::int, pg_database_size(current_database())"
                ).fetchone()
                assert row is not None
                migrations = _applied(conn, migrations_table) if migrations_table else None
        except psycopg.Error as e:
            raise _translate(e, url, "reading database facts") from e
    return DatabaseReading(
        server_version=str(row[0]).split(" ")[0],
        server_version_num=int(row[1]),
        connections=int(row[2]),
        max_connections=int(row[3]),
        size_bytes=int(row[4]),
        applied_migrations=migrations,
    )


def _applied(conn: Any, table: str) -> tuple[str, ...] | None:
    """Names of applied migrations in `table` (optionally `schema.table`), or None when the table does not exist."""
    from psycopg import sql

    found = conn.execute("select to_regclass(%s)::oid", (table,)).fetchone()
    if found is None or found[0] is None:
        return None
    oid = found[0]
    columns = {
        r[0]
        for r in conn.execute(
            "select attname from pg_attribute where attrelid = %s and attnum > 0 and not attisdropped", (oid,)
        ).fetchall()
    }
    name = next((c for c in _NAME_COLUMNS if c in columns), None)
    if name is None:
        return None
    # Prisma keeps failed and rolled-back attempts in the same table; they are not applied.
    conditions: list[sql.Composable] = [sql.SQL("{} is not null").format(sql.Identifier(name))]
    if "finished_at" in columns:
        conditions.append(sql.SQL("finished_at is not null"))
    if "rolled_back_at" in columns:
        conditions.append(sql.SQL("rolled_back_at is null"))
    query = sql.SQL("select {col}::text from {table} where {cond} order by 1").format(
        col=sql.Identifier(name),
        table=sql.SQL("{}").format(sql.Identifier(*table.split(".", 1))),
        cond=sql.SQL(" and ").join(conditions),
    )
    return tuple(str(r[0]) for r in conn.execute(query).fetchall())
