"""PostgreSQL adapter: connections, exported snapshots, exact row counts, server version and scratch databases.

psycopg never leaks past this module: callers get plain records and errors from `reconciler.errors`.
Connection strings hold passwords, so they never appear in messages; `describe_url` gives a safe label.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.errors import PermanentError, ProviderError, TemporaryError, VerificationFailed

# Identifiers we create ourselves (scratch databases) must be plain, so they need no quoting surprises.
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class ServerInfo:
    """What a backup records about its source server."""

    version: str  # e.g. "15.20 (Debian 15.20-0+deb12u1)"
    version_num: int  # e.g. 150020
    database: str
    size_bytes: int
    in_recovery: bool

    @property
    def major(self) -> int:
        return self.version_num // 10000


@dataclass(frozen=True)
class Snapshot:
    """An exported snapshot held open by a transaction, plus what is read inside it.

    The exact row counts are read by a thread in the exporting transaction while the dump runs (a full scan of the
    largest tables before the dump would delay its start); `row_counts` waits for them.
    """

    snapshot_id: str
    wal_lsn: str
    taken_at: datetime
    counting: Future[tuple[tuple[str, int], ...]]

    @property
    def row_counts(self) -> tuple[tuple[str, int], ...]:
        """("schema.table", exact count) of the largest tables; raises what the counting raised."""
        return self.counting.result()


@dataclass(frozen=True)
class ConnectionParts:
    """A connection string split for a subprocess: the password travels in the environment, not on argv."""

    conninfo: str
    env: dict[str, str]


def _psycopg() -> Any:
    import psycopg

    return psycopg


def describe_url(url: str) -> str:
    """`host:port/dbname`, never the user's password: safe for messages and logs."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "<unparseable database URL>"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    return f"{host}:{port}/{parts.get('dbname') or '?'}"


def database_name(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url).get("dbname") or "")


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = {k: v for k, v in conninfo_to_dict(url).items() if v is not None}
    parts["dbname"] = dbname
    return make_conninfo("", **parts)


def split_for_subprocess(url: str) -> ConnectionParts:
    """A conninfo without the password, and the environment that carries it (PGPASSWORD)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = {k: v for k, v in conninfo_to_dict(url).items() if v is not None}
    env: dict[str, str] = {}
    password = parts.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return ConnectionParts(conninfo=make_conninfo("", **parts), env=env)


def _translate(error: Exception, url: str, action: str) -> ProviderError:
    psycopg = _psycopg()
    # The first line of libpq's message names host and user but never the password.
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    detail = detail.replace(url, describe_url(url))
    message = f"PostgreSQL {describe_url(url)}: {action} failed: {detail}"
    if isinstance(error, psycopg.OperationalError):
        return TemporaryError(message)
    return PermanentError(message)


@contextmanager
def connect(url: str, *, autocommit: bool = True, connect_timeout: int = 10) -> Iterator[Any]:
    """A psycopg connection for this module's functions; closed on exit, errors translated."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=connect_timeout)
    except psycopg.Error as e:
        raise _translate(e, url, "connect") from e
    try:
        yield conn
    finally:
        conn.close()


def is_reachable(url: str, timeout: int = 3) -> bool:
    """True when a server answers at `url` and accepts the connection."""
    try:
        with connect(url, connect_timeout=timeout) as conn:
            conn.execute("select 1")
        return True
    except ProviderError:
        return False


def server_info(url: str) -> ServerInfo:
    """Version, database size and role of the server behind `url` (read-only)."""
    psycopg = _psycopg()
    with connect(url) as conn:
        try:
            row = conn.execute(
                "select current_setting('server_version'), current_setting('server_version_num')::int,"
                " current_database(), pg_database_size(current_database()), pg_is_in_recovery()"
            ).fetchone()
        except psycopg.Error as e:
            raise _translate(e, url, "reading the server version") from e
    return ServerInfo(version=row[0], version_num=row[1], database=row[2], size_bytes=row[3], in_recovery=row[4])


_LARGEST_TABLES = """
select n.nspname, c.relname
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%%'
  and n.nspname not like 'pg_temp%%'
order by pg_total_relation_size(c.oid) desc, n.nspname, c.relname
limit %s
"""


def _quote_table(schema: str, table: str) -> str:
    return '"' + schema.replace('"', '""') + '"."' + table.replace('"', '""') + '"'


def _count_rows(conn: Any, tables: list[tuple[str, str]]) -> tuple[tuple[str, int], ...]:
    counts = []
    for schema, table in tables:
        row = conn.execute(f"select count(*) from {_quote_table(schema, table)}").fetchone()  # noqa: S608
        counts.append((f"{schema}.{table}", int(row[0])))
    return tuple(counts)


@contextmanager
def exported_snapshot(url: str, count_largest: int = 10) -> Iterator[Snapshot]:
    """Hold a REPEATABLE READ transaction with an exported snapshot for `pg_dump --snapshot` to share.

    Inside the same snapshot: the WAL position and exact row counts of the `count_largest` largest tables, so what
    the manifest says matches the dump's content exactly. The counts are read by a thread of their own while the
    caller starts the dump. The transaction stays open until the block exits.
    """
    psycopg = _psycopg()
    with connect(url, autocommit=False) as conn:
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            row = conn.execute(
                "select pg_export_snapshot(),"
                " case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end::text,"
                " clock_timestamp()"
            ).fetchone()
        except psycopg.Error as e:
            raise _translate(e, url, "exporting a snapshot") from e
        counting: Future[tuple[tuple[str, int], ...]] = Future()

        def count() -> None:
            # The only user of `conn` until it is joined below.
            try:
                tables = [(r[0], r[1]) for r in conn.execute(_LARGEST_TABLES, (count_largest,)).fetchall()]
                counting.set_result(_count_rows(conn, tables))
            except psycopg.Error as e:
                counting.set_exception(_translate(e, url, "counting rows in the snapshot"))
            except BaseException as e:
                counting.set_exception(e)

        counter = threading.Thread(target=count, name="snapshot-row-counts", daemon=True)
        counter.start()
        try:
            yield Snapshot(snapshot_id=row[0], wal_lsn=row[1], taken_at=row[2], counting=counting)
        except BaseException:
            if counter.is_alive():
                try:
                    conn.cancel_safe(timeout=5)  # the dump failed: no need to finish a full scan
                except psycopg.Error:
                    pass  # the join below then just waits
            raise
        finally:
            counter.join()
            try:
                conn.rollback()
            except psycopg.Error:
                pass  # the connection is closed next either way


def row_counts(url: str, tables: list[str]) -> dict[str, int | None]:
    """Exact `count(*)` of each "schema.table"; None for a table that does not exist (read-only)."""
    psycopg = _psycopg()
    result: dict[str, int | None] = {}
    with connect(url) as conn:
        for name in tables:
            schema, _, table = name.partition(".")
            exists = conn.execute(
                "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = %s and c.relname = %s",
                (schema, table),
            ).fetchone()
            if not exists:
                result[name] = None
                continue
            try:
                result[name] = _count_rows(conn, [(schema, table)])[0][1]
            except psycopg.Error as e:
                raise _translate(e, url, f"counting rows of {name}") from e
    return result


def _check_name(name: str) -> None:
    if not _SAFE_NAME.match(name):
        raise PermanentError(f"invalid database name {name!r}: use lower-case letters, digits and underscores")


def database_exists(url: str, name: str) -> bool:
    with connect(with_database(url, "postgres")) as conn:
        return conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is not None


def create_database(url: str, name: str, template: str = "template0") -> None:
    """Create database `name` on the server of `url`: empty (from template0) or a copy of `template`."""
    _check_name(name)
    _check_name(template)
    psycopg = _psycopg()
    admin = with_database(url, "postgres")
    with connect(admin) as conn:
        try:
            conn.execute(f'create database "{name}" template "{template}"')
        except psycopg.errors.DuplicateDatabase as e:
            raise PermanentError(f"database {name} already exists on {describe_url(admin)}") from e
        except psycopg.Error as e:
            raise _translate(e, admin, f"creating database {name}") from e


def drop_database(url: str, name: str) -> None:
    """Drop database `name` if it exists, disconnecting its sessions (PostgreSQL 13+)."""
    _check_name(name)
    psycopg = _psycopg()
    admin = with_database(url, "postgres")
    with connect(admin) as conn:
        try:
            conn.execute(f'drop database if exists "{name}" with (force)')
        except psycopg.Error as e:
            raise _translate(e, admin, f"dropping database {name}") from e


@dataclass(frozen=True)
class AmcheckResult:
    available: bool
    indexes_checked: int


def amcheck(url: str) -> AmcheckResult:
    """Check every B-tree index (with heapallindexed) using amcheck, when the extension can be installed.

    Meant for scratch databases: it creates the extension. Corruption raises VerificationFailed.
    """
    psycopg = _psycopg()
    with connect(url) as conn:
        try:
            conn.execute("create extension if not exists amcheck")
        except psycopg.Error:
            return AmcheckResult(available=False, indexes_checked=0)
        indexes = conn.execute(
            "select c.oid, n.nspname || '.' || c.relname from pg_index i"
            " join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace"
            " join pg_am a on a.oid = c.relam"
            " where a.amname = 'btree' and c.relpersistence <> 't' and i.indisvalid and i.indisready"
            " and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'"
        ).fetchall()
        for oid, name in indexes:
            try:
                conn.execute("select bt_index_check(%s::regclass, true)", (oid,))
            except psycopg.Error as e:
                raise VerificationFailed(f"amcheck found a problem in index {name}: {str(e).strip()}") from e
    return AmcheckResult(available=True, indexes_checked=len(indexes))


def user_relations(url: str) -> int:
    """How many tables, views and sequences exist outside the system schemas (0 for an empty database)."""
    with connect(url) as conn:
        row = conn.execute(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')"
            " and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'"
        ).fetchone()
    return int(row[0])
