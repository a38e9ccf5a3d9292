"""Database facts are read on a connection that cannot write and whose statements time out."""

from __future__ import annotations

import psycopg
import pytest

from reconciler.errors import PermanentError, TemporaryError
from reconciler.providers.postgres_facts import read_database, read_only_connection

pytestmark = pytest.mark.integration


def test_the_observation_connection_cannot_write(fresh_database: str) -> None:
    with read_only_connection(fresh_database) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("create table sneaky (id int)")
    with psycopg.connect(fresh_database) as check:
        assert check.execute("select to_regclass('sneaky')").fetchone() == (None,)


def test_statements_time_out(fresh_database: str) -> None:
    with (
        read_only_connection(fresh_database, statement_timeout_ms=100) as conn,
        pytest.raises(psycopg.errors.QueryCanceled),
    ):
        conn.execute("select pg_sleep(2)")


@pytest.mark.parametrize(
    ("create", "rows", "expected"),
    [
        (
            "create table m (migration_name text, finished_at timestamptz, rolled_back_at timestamptz)",
            "insert into m values ('b', now(), null), ('a', now(), null), ('failed', null, null),"
            " ('undone', now(), now())",
            ("a", "b"),
        ),
        (
            "create table m (version bigint primary key)",
            "insert into m values (20260102), (20260101)",
            ("20260101", "20260102"),
        ),
        ("create table m (name text, run_on timestamptz)", "insert into m values ('001_init', now())", ("001_init",)),
        ("create table m (whatever text)", "insert into m values ('x')", None),
    ],
    ids=["prisma", "rails", "knex", "unknown-shape"],
)
def test_applied_migrations_from_common_tools_tables(
    fresh_database: str, create: str, rows: str, expected: tuple[str, ...] | None
) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(create)
        conn.execute(rows)
    assert read_database(fresh_database, migrations_table="m").applied_migrations == expected
    assert read_database(fresh_database, migrations_table="public.m").applied_migrations == expected
    assert read_database(fresh_database, migrations_table="absent").applied_migrations is None


def test_failures_are_typed_and_never_show_the_password() -> None:
    with pytest.raises(TemporaryError) as refused:
        read_database("postgresql://app:s3cret-pw@127.0.0.1:1/app", connect_timeout=2)
    assert "s3cret-pw" not in str(refused.value)
    assert "127.0.0.1:1/app" in str(refused.value)


def test_a_bad_table_name_is_a_permanent_error(fresh_database: str) -> None:
    with pytest.raises(PermanentError, match="reading database facts failed"):
        read_database(fresh_database, migrations_table="bad name; drop")
