"""Helpers for the backup tests: small databases with several schemas, large objects and known row counts."""

from __future__ import annotations

from reconciler.providers import postgres


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
    """A table of about `megabytes` MB of hex text (md5 of random values: compresses about 2:1)."""
    with postgres.connect(url) as conn:
        conn.execute("create table public.blobs (id int primary key, body text)")
        conn.execute(
            "insert into public.blobs select g, (select string_agg(md5(random()::text || g || i), '')"
            " from generate_series(1, 32) i) from generate_series(1, %s) g",
            (megabytes * 1024,),
        )
