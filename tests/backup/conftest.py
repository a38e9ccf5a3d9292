"""Helpers for the backup tests: small databases with several schemas, large objects and known row counts."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from reconciler.providers import postgres

BIG_MEGABYTES = 24


def fill_small_database(url: str, rows: int = 2000) -> dict[str, int]:
    """Two schemas, a table per schema with an index, a large object; returns the exact row counts."""
    with postgres.connect(url) as conn:
        conn.execute("create schema shop")
        conn.execute("create schema audit")
        conn.execute("create table shop.orders (id bigserial primary key, sku text not null, qty int, note text)")
        conn.execute("create index on shop.orders (sku)")
        conn.execute(
            "create table audit.events (id bigserial primary key, at timestamptz default now(), payload jsonb)"
        )
        conn.execute("create table public.tiny (id int primary key)")
        conn.execute(
            "insert into shop.orders (sku, qty, note) select md5(g::text), g %% 10, repeat('n', g %% 50)"
            " from generate_series(1, %s) g",
            (rows,),
        )
        conn.execute(
            "insert into audit.events (payload) select jsonb_build_object('n', g) from generate_series(1, %s) g",
            (rows // 2,),
        )
        conn.execute("insert into public.tiny values (1), (2), (3)")
        conn.execute("select lo_from_bytea(424242, convert_to(repeat('large object ', 1000), 'UTF8'))")
    return {"shop.orders": rows, "audit.events": rows // 2, "public.tiny": 3}


def fill_incompressible(url: str, megabytes: int) -> None:
    """A table of about `megabytes` MB of base64 text of random hashes (compresses only about 4:3)."""
    with postgres.connect(url) as conn:
        conn.execute("create table public.blobs (id int primary key, body text)")
        conn.execute(
            "insert into public.blobs select g, (select string_agg(encode(sha256((random()::text || i || g)::bytea),"
            " 'base64'), '') from generate_series(1, 23) i) from generate_series(1, %s) g",
            (megabytes * 1024,),
        )


def child_pids(name: str) -> list[int]:
    """Pids of this process's children running `name` (read from /proc: what a test needs to kill pg_dump)."""
    import os
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            comm = fields[0].split("(", 1)[1]
            ppid = int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if comm == name and ppid == os.getpid():
            found.append(int(stat.parent.name))
    return found


@pytest.fixture(scope="session")
def big_template(postgres_url: str) -> Iterator[str]:
    """A database of about 24 MB of poorly compressible rows, filled once per session; copy it, don't change it."""
    name = f"test_big_template_{secrets.token_hex(4)}"
    postgres.create_database(postgres_url, name)
    try:
        fill_incompressible(postgres.with_database(postgres_url, name), BIG_MEGABYTES)
        yield name
    finally:
        postgres.drop_database(postgres_url, name)


@pytest.fixture
def big_database(postgres_url: str, big_template: str) -> Iterator[str]:
    """A fresh copy of `big_template` (several parts of dump at 5 MiB), dropped after the test."""
    name = f"test_big_{secrets.token_hex(4)}"
    postgres.create_database(postgres_url, name, template=big_template)
    try:
        yield postgres.with_database(postgres_url, name)
    finally:
        postgres.drop_database(postgres_url, name)
