"""Observe and plan end to end over real sockets, and the `plan` command's exit codes, outputs and PR comment."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from reconciler.observe import observe
from reconciler.observed import DatabaseFacts, Unreachable
from reconciler.plan import plan
from reconciler.planning import close
from reconciler.sandbox.seed_backups import plant_aged_copies, take_real_backup
from tests.fixtures.world import World

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "docs" / "plan.schema.json").read_text())


def backups(world: World, *ages_hours: float, real: bool = True) -> None:
    """One real backup of the world's database, copied under each environment's prefix as taken `ages_hours` ago
    (and 5 minutes ago unless `real` is False)."""
    manifest = take_real_backup(world.bucket.s3, world.database_url, world.bucket.name, "seed/", "seed")
    ages = [timedelta(hours=h) for h in ages_hours] + ([timedelta(minutes=5)] if real else [])
    for env in world.desired.environments.values():
        assert env.backups is not None
        plant_aged_copies(world.bucket.s3, manifest, env.backups.prefix, ages)


def migrations(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "create table _prisma_migrations (id text primary key, migration_name text not null,"
            " finished_at timestamptz, rolled_back_at timestamptz)"
        )
        conn.execute(
            "insert into _prisma_migrations values ('a', '20260101_init', now(), null),"
            " ('b', '20260301_users', now(), null), ('c', '20260401_broken', null, null)"
        )


def test_live_matching_git_plans_no_changes_and_reads_every_provider(world: World) -> None:
    migrations(world.database_url)
    backups(world, 30, 80)
    providers = world.providers()
    try:
        observed = observe(world.desired, providers)
    finally:
        close(providers)
    result = plan(world.desired, observed)
    assert result.complete and not result.has_changes, result
    production = observed.environment("production")
    assert production is not None
    db = production.database
    assert isinstance(db, DatabaseFacts)
    assert db.applied_migrations == ("20260101_init", "20260301_users")
    assert db.server_major >= 14 and db.max_connections > 0 and db.connections >= 1 and db.size_bytes > 0
    assert not isinstance(production.backups, Unreachable) and production.backups is not None
    assert len(production.backups.backups) == 3
    assert set(providers.timings) >= {"production/railway", "staging/s3", "production/postgres", "github"}


def test_only_stale_backups_make_a_backup_change(world: World) -> None:
    backups(world, 30, 80, real=False)
    providers = world.providers()
    try:
        result = plan(world.desired, observe(world.desired, providers, environments=["production"]))
    finally:
        close(providers)
    (change,) = result.changes()
    assert change.address == "production/backups/freshness"
    assert change.before == "1d6h old"
