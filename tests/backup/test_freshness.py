"""Freshness: the newest *verified* backup against max_age; works on catalog records and observed facts alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from reconciler.backup.freshness import freshness, restore_test_due
from reconciler.backup.manifest import id_time, make_backup_id, split_key
from reconciler.observed import BackupFact

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def fact(backup_id: str, hours_ago: float, verified: bool) -> BackupFact:
    return BackupFact(backup_id, NOW - timedelta(hours=hours_ago), 1000, verified)


def test_fresh_when_the_newest_verified_backup_is_within_max_age() -> None:
    result = freshness([fact("a", 2, True), fact("b", 30, True)], timedelta(hours=26), NOW)
    assert result.status == "fresh" and result.ok
    assert result.newest_verified_id == "a"
    assert result.describe() == "newest verified backup a is 2h old, within 1d2h"


def test_a_newer_unverified_backup_does_not_count() -> None:
    result = freshness([fact("new-unverified", 1, False), fact("old", 27, True)], timedelta(hours=26), NOW)
    assert result.status == "stale"
    assert result.newest_verified_id == "old"
    assert result.age == timedelta(hours=27)
    assert result.describe() == "newest verified backup old is 1d3h old, older than 1d2h"


def test_missing_when_nothing_is_verified() -> None:
    result = freshness([fact("x", 1, False)], timedelta(hours=26), NOW)
    assert result.status == "missing" and not result.ok
    assert result.describe() == "no verified backup (max age 1d2h)"
    assert freshness([], timedelta(hours=1), NOW).status == "missing"


def test_exactly_max_age_is_still_fresh() -> None:
    assert freshness([fact("a", 26, True)], timedelta(hours=26), NOW).status == "fresh"


def test_backup_ids_sort_by_time_and_carry_kind_and_commit() -> None:
    backup_id = make_backup_id("pre-deploy", datetime(2026, 11, 27, 3, 4, 5, tzinfo=UTC), "ABCDEF1234567", "00ff")
    assert backup_id == "20261127T030405Z-pre-deploy-abcdef1-00ff"
    assert id_time(backup_id) == datetime(2026, 11, 27, 3, 4, 5, tzinfo=UTC)
    assert split_key("production/", f"production/{backup_id}/manifest.json") == (backup_id, "manifest.json")
    assert split_key("production/", "production/notes.txt") is None
    assert make_backup_id("manual", NOW, "not-hex", "0a0b") == "20261127T120000Z-manual-0a0b"
    # Without a token a random one keeps two runs in the same second apart.
    assert re.fullmatch(r"20261127T120000Z-manual-[0-9a-f]{4}", make_backup_id("manual", NOW))


def test_retention_and_freshness_are_pure() -> None:
    import ast
    from pathlib import Path

    import reconciler.backup.freshness
    import reconciler.backup.retain

    for module in (reconciler.backup.retain, reconciler.backup.freshness):
        tree = ast.parse(Path(str(module.__file__)).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        assert not {m for m in imported if m and m.split(".")[0] in ("os", "subprocess", "socket", "boto3")}
        assert not {m for m in imported if m and m.startswith(("reconciler.providers", "reconciler.sandbox"))}


@pytest.mark.parametrize(
    ("last", "cadence", "due"),
    [
        (None, "weekly", True),
        (NOW - timedelta(days=6), "weekly", False),
        (NOW - timedelta(days=7) + timedelta(minutes=20), "weekly", True),  # a cron run a little late
        (NOW - timedelta(hours=25), "daily", True),
        (NOW - timedelta(days=20), "monthly", False),
        (None, None, False),
    ],
)
def test_restore_test_is_due_by_its_cadence(last: datetime | None, cadence: str | None, due: bool) -> None:
    assert restore_test_due(last, cadence, NOW) is due
