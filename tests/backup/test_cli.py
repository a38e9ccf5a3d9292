"""`reconciler backup run|list|verify|prune|restore` end to end: real PostgreSQL, real SeaweedFS, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.providers import postgres
from tests.backup.conftest import fill_small_database
from tests.fixtures.s3 import S3Bucket

pytestmark = pytest.mark.integration

PLANTED = "PLANTED-pw-7f3a9c1e"  # trust auth ignores it; it must never be printed anywhere
STAGING = Path(__file__).resolve().parents[2] / "desired-state" / "staging.yaml"


def desired(tmp_path: Path, bucket: str, retention: str = "{keep_last: 3, keep_daily: 3}") -> Path:
    text = STAGING.read_text()
    text = text.replace("bucket: fixia-backups", f"bucket: {bucket}")
    text = text.replace("retention: {keep_last: 3, keep_daily: 3}", f"retention: {retention}")
    folder = tmp_path / "desired-state"
    folder.mkdir(exist_ok=True)
    (folder / "staging.yaml").write_text(text)
    return folder


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str], folder: Path) -> None:
        self.capsys = capsys
        self.folder = folder
        self.seen: list[str] = []

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main(["backup", *args, "--environment", "staging", "--desired", str(self.folder)])
        out, err = self.capsys.readouterr()
        self.seen += [out, err]
        return code, out, err


@pytest.fixture
def live(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    fill_small_database(fresh_database, rows=50)
    url = f"{fresh_database} password={PLANTED}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.mark.slow
def test_run_list_verify_prune_restore(
    seaweed_bucket: S3Bucket,
    live: str,
    postgres_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli = Cli(capsys, desired(tmp_path, seaweed_bucket.name, retention="{keep_last: 1}"))

    code, out, err = cli("run", "--kind", "scheduled")
    assert (code, err) == (0, "")
    assert out.startswith("staging: backup ") and " taken and verified (" in out
    first = out.split()[2]
    code, out, _ = cli("run", "--kind", "scheduled", "--compression", "gzip:1")
    assert code == 0
    second = out.split()[2]

    code, out, _ = cli("list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"staging: 2 backup(s); newest verified backup {second} is 0m old, within 1d2h"
    assert lines[1].split()[0] == second and "verified (cheap, " in lines[1]
    assert lines[2].split()[0] == first

    code, out, _ = cli("list", "--format", "json")
    listing = json.loads(out)["environments"][0]
    assert listing["freshness"]["status"] == "fresh"
    assert [b["id"] for b in listing["backups"]] == [second, first]
    assert listing["backups"][0]["compression"] == "gzip:1"

    server = postgres.describe_url(postgres_url).rsplit("/", 1)[0]
    code, out, _ = cli("verify", "--level", "full", "--scratch-url", postgres_url)
    assert code == 0
    assert out.startswith(
        f"staging: backup {second} verified (full): restored into a scratch database on {server}; 3 row counts"
        " match; amcheck"
    )
    # `live` is the explicit opt-in to the environment's own server (the scratch database is dropped after).
    code, out, _ = cli("verify", "--scratch-url", "live")
    assert code == 0 and f"restored into a scratch database on {server}; 3 row counts match" in out
    assert not [d for d in _databases(postgres_url) if d.startswith("reconciler_verify_")]

    # By default a throwaway cluster holds the scratch database: the live server is not needed at all.
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:{PLANTED}@127.0.0.1:1/nowhere")
    code, out, err = cli("verify", "--format", "json")
    assert (code, err) == (0, "")
    verified = json.loads(out)["verified"][0]
    assert verified["id"] == second and verified["last_verification"]["level"] == "full"
    assert verified["last_verification"]["message"].startswith("restored into a throwaway PostgreSQL ")
    assert verified["last_full_verification_at"] == verified["last_verification"]["checked_at"]
    monkeypatch.setenv("DATABASE_URL", live)

    code, out, _ = cli("prune")
    assert code == 0
    assert out.splitlines() == [
        "staging: keep 1, would delete 1",
        f"  keep   {second}  last snapshot, newest verified backup",
        f"  delete {first}  ",
        "  dry run: pass --apply to delete",
    ]
    assert len(seaweed_bucket.s3.list_objects(seaweed_bucket.name, f"staging/{first}/")) == 3
    code, out, _ = cli("prune", "--apply")
    assert code == 0 and out.startswith("staging: keep 1, deleted 1\n")
    assert seaweed_bucket.s3.list_objects(seaweed_bucket.name, f"staging/{first}/") == []

    target = postgres.with_database(postgres_url, f"restored_{second[-4:]}")
    try:
        monkeypatch.setenv("RESTORE_DATABASE_URL", target)  # as the restore workflow passes it: by name
        code, out, err = cli("restore", "--to", "env:RESTORE_DATABASE_URL")
        assert (code, err) == (0, "")
        assert f"staging: backup {second} restored into " in out
        assert out.endswith("row counts match the manifest (shop.orders 50, audit.events 25, public.tiny 3)\n")
        assert postgres.row_counts(target, ["shop.orders"]) == {"shop.orders": 50}

        code, _, err = cli("restore", "--to", target)
        assert code == 1 and err.startswith("error: ") and "is not empty" in err
    finally:
        postgres.drop_database(postgres_url, postgres.database_name(target))

    code, _, err = cli("restore", "--to", live)
    assert code == 1
    assert err.startswith("error: refusing to restore into the live database 127.0.0.1:")
    monkeypatch.setenv("RESTORE_DATABASE_URL", live)
    code, _, err = cli("restore", "--to", "env:RESTORE_DATABASE_URL")
    assert code == 1 and err.startswith("error: refusing to restore into the live database 127.0.0.1:")
    code, _, err = cli("restore", "--to", live, "--overwrite-live")
    assert code == 1 and "refusing to restore into the live database" in err
    with postgres.connect(live) as conn:  # a change after the backup, which the confirmed restore undoes
        conn.execute("delete from shop.orders where id <= 10")
    code, out, err = cli("restore", "--to", live, "--overwrite-live", "--i-understand-this-replaces-live-data")
    assert (code, err) == (0, "")
    assert postgres.row_counts(live, ["shop.orders"]) == {"shop.orders": 50}

    # The database password never appears: not in any output, nor in anything stored in S3.
    assert all(PLANTED not in text for text in cli.seen)
    for obj in seaweed_bucket.s3.list_objects(seaweed_bucket.name, "staging/"):
        if obj.key.endswith(".json"):
            assert PLANTED.encode() not in seaweed_bucket.s3.get(seaweed_bucket.name, obj.key)


def test_an_unreachable_database_fails_with_one_clear_line(
    seaweed_bucket: S3Bucket, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:{PLANTED}@127.0.0.1:1/nowhere")
    cli = Cli(capsys, desired(tmp_path, seaweed_bucket.name))
    code, out, err = cli("run")
    assert code == 1 and out == ""
    assert err.startswith("error: PostgreSQL 127.0.0.1:1/nowhere: connect failed: ")
    assert len(err.strip().splitlines()) == 1 and PLANTED not in err


def test_a_full_verification_on_the_live_server_needs_its_secret(
    seaweed_bucket: S3Bucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(capsys, desired(tmp_path, seaweed_bucket.name))
    code, _, err = cli("verify", "--scratch-url", "live")
    assert code == 1
    assert err == (
        "error: --scratch-url live puts the scratch database on staging's own database server, but its database"
        " secret is not set\n"
    )


def _databases(url: str) -> list[str]:
    with postgres.connect(url) as conn:
        return [str(r[0]) for r in conn.execute("select datname from pg_database").fetchall()]


def test_missing_database_secret_is_named_not_guessed(
    seaweed_bucket: S3Bucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(capsys, desired(tmp_path, seaweed_bucket.name))
    code, _, err = cli("run")
    assert code == 1
    assert err == "error: secret {env: DATABASE_URL} is not set: export DATABASE_URL (in Actions, from secrets.*)\n"


def test_backup_commands_have_help(capsys: pytest.CaptureFixture[str]) -> None:
    for sub in ("run", "list", "verify", "prune", "restore"):
        assert main(["backup", sub, "--help"]) == 0
        out = capsys.readouterr().out
        assert "--environment" in out
    assert main(["backup", "prune", "--help"]) == 0
    assert "Dry run unless --apply" in capsys.readouterr().out
