"""Taking backups against real PostgreSQL and a real S3 server (SeaweedFS) on loopback, including the faults."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from reconciler.backup.catalog import list_backups
from reconciler.backup.manifest import manifest_key
from reconciler.backup.take import Destination, take_backup
from reconciler.backup.verify import run_verification
from reconciler.errors import PermanentError, TemporaryError, VerificationFailed
from reconciler.providers import pgdump, postgres
from reconciler.providers.pgdump import Compression, DumpFailed
from reconciler.providers.s3 import MIB, S3, ObjectExists
from tests.backup.conftest import BIG_MEGABYTES, child_pids, fill_small_database
from tests.backup.tcp_proxy import CuttableProxy
from tests.fixtures.s3 import S3Bucket

pytestmark = pytest.mark.integration

NONE = Compression("none", 0)


def take(bucket: S3Bucket, url: str, **kwargs: object) -> object:
    return take_backup(bucket.s3, url, Destination(bucket.name, "prod/"), environment="production", **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("compression", [Compression("zstd", 1), Compression("gzip", 1)], ids=["zstd", "gzip"])
def test_backup_of_several_schemas_and_large_objects_round_trips(
    seaweed_bucket: S3Bucket, fresh_database: str, database_factory: object, compression: Compression
) -> None:
    counts = fill_small_database(fresh_database)
    manifest = take_backup(
        seaweed_bucket.s3,
        fresh_database,
        Destination(seaweed_bucket.name, "prod/"),
        environment="production",
        kind="pre-deploy",
        compression=compression,
        git_commit="0123456789abcdef",
        target_version="1.4.2",
    )
    assert manifest.row_counts == counts
    assert manifest.compression == compression.label
    assert "-pre-deploy-0123456-" in manifest.backup_id
    assert (manifest.git_commit, manifest.target_version, manifest.kind) == ("0123456789abcdef", "1.4.2", "pre-deploy")
    assert manifest.server_version_num == postgres.server_info(fresh_database).version_num
    assert manifest.pg_dump_version == pgdump.client_version().text
    assert manifest.wal_lsn.count("/") == 1 and manifest.snapshot_id

    (record,) = list_backups(seaweed_bucket.s3, seaweed_bucket.name, "prod/").backups
    assert record.verified and record.last_verification is not None
    assert record.last_verification.level == "cheap"
    # Every object the backup wrote is encrypted at rest.
    for obj in seaweed_bucket.s3.list_objects(seaweed_bucket.name, "prod/"):
        assert seaweed_bucket.s3.head(seaweed_bucket.name, obj.key)["encryption"] == "AES256", obj.key

    target = database_factory()  # type: ignore[operator]
    postgres.drop_database(target, postgres.database_name(target))
    from reconciler.backup.restore import restore_backup

    result = restore_backup(seaweed_bucket.s3, manifest, target)
    assert result.created and result.row_counts == counts
    with postgres.connect(target) as conn:
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace").fetchall()}
        blob = conn.execute("select convert_from(lo_get(424242), 'UTF8')").fetchone()[0]
    assert {"shop", "audit"} <= schemas
    assert blob == "large object " * 1000


@pytest.mark.slow
def test_dump_larger_than_one_part_is_multipart_and_consistent_with_its_snapshot(
    seaweed_bucket: S3Bucket, big_database: str
) -> None:
    inserted = []

    def write_during_upload(part: int, total: int) -> None:
        if part == 1:  # the snapshot is already exported: this row must not be in the backup
            with postgres.connect(big_database) as conn:
                conn.execute("insert into public.blobs values (-1, 'late')")
            inserted.append(part)

    manifest = take(seaweed_bucket, big_database, compression=NONE, part_size=5 * MIB, on_part=write_during_upload)
    assert inserted and manifest.parts >= 3 and manifest.size > 10 * MIB
    assert manifest.row_counts["public.blobs"] == BIG_MEGABYTES * 1024
    assert postgres.row_counts(big_database, ["public.blobs"])["public.blobs"] == BIG_MEGABYTES * 1024 + 1
    stored = seaweed_bucket.s3.head(seaweed_bucket.name, manifest.dump_key)
    assert stored["size"] == manifest.size
    assert run_verification(seaweed_bucket.s3, manifest, "cheap").ok


def test_killing_pg_dump_mid_stream_leaves_no_object_and_no_upload(seaweed_bucket: S3Bucket, big_database: str) -> None:
    killed = []

    def kill_pg_dump(part: int, total: int) -> None:
        if part == 1:
            for pid in child_pids("pg_dump"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    with pytest.raises(DumpFailed, match=r"pg_dump failed \(killed by signal 9\)"):
        take(seaweed_bucket, big_database, compression=NONE, part_size=5 * MIB, on_part=kill_pg_dump)
    assert killed
    assert seaweed_bucket.s3.list_objects(seaweed_bucket.name, "prod/") == []
    assert seaweed_bucket.s3.list_uploads(seaweed_bucket.name, "prod/") == []


def test_killing_pg_dump_in_a_zstd_pipeline_is_still_noticed(seaweed_bucket: S3Bucket, big_database: str) -> None:
    # zstd exits 0 at end of input: only pg_dump's own exit status shows the dump was cut short.

    def kill_pg_dump(part: int, total: int) -> None:
        if part == 1:
            for pid in child_pids("pg_dump"):
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(DumpFailed, match="pg_dump failed"):
        take(seaweed_bucket, big_database, compression=Compression("zstd", 1), part_size=5 * MIB, on_part=kill_pg_dump)
    assert seaweed_bucket.s3.list_objects(seaweed_bucket.name, "prod/") == []
    assert seaweed_bucket.s3.list_uploads(seaweed_bucket.name, "prod/") == []


def test_one_corrupted_byte_fails_verification_and_names_the_backup(
    seaweed_bucket: S3Bucket, fresh_database: str
) -> None:
    fill_small_database(fresh_database)
    manifest = take(seaweed_bucket, fresh_database)
    body = bytearray(seaweed_bucket.s3.get(seaweed_bucket.name, manifest.dump_key))
    body[len(body) // 2] ^= 0x01
    seaweed_bucket.s3._client.put_object(Bucket=seaweed_bucket.name, Key=manifest.dump_key, Body=bytes(body))

    with pytest.raises(VerificationFailed, match=f"backup {manifest.backup_id}: stored object does not match"):
        run_verification(seaweed_bucket.s3, manifest, "cheap")
    (record,) = list_backups(seaweed_bucket.s3, seaweed_bucket.name, "prod/").backups
    assert not record.verified
    assert record.last_verification is not None and record.last_verification.sha256_matches is False


def test_s3_unreachable_mid_upload_fails_cleanly_and_marks_nothing_valid(
    seaweed_bucket: S3Bucket, big_database: str
) -> None:
    assert seaweed_bucket.endpoint_url is not None
    proxy = CuttableProxy(int(seaweed_bucket.endpoint_url.rsplit(":", 1)[1]))
    flaky = S3(f"http://127.0.0.1:{proxy.port}", max_attempts=2, connect_timeout=2, read_timeout=5)

    def cut(part: int, total: int) -> None:
        if part == 1:
            proxy.cut()

    with pytest.raises(TemporaryError, match="S3 "):
        take_backup(
            flaky,
            big_database,
            Destination(seaweed_bucket.name, "prod/"),
            environment="production",
            compression=NONE,
            part_size=5 * MIB,
            on_part=cut,
        )
    assert child_pids("pg_dump") == []
    catalog = list_backups(seaweed_bucket.s3, seaweed_bucket.name, "prod/")
    assert catalog.backups == ()
    assert seaweed_bucket.s3.list_objects(seaweed_bucket.name, "prod/") == []


def test_manifest_is_create_only(seaweed_bucket: S3Bucket, fresh_database: str) -> None:
    fill_small_database(fresh_database, rows=10)
    manifest = take(seaweed_bucket, fresh_database)
    key = manifest_key("prod/", manifest.backup_id)
    with pytest.raises(ObjectExists):
        seaweed_bucket.s3.put(
            seaweed_bucket.name, key, b"{}", encryption=Destination("x", "").encryption, create_only=True
        )
    assert b'"backup_id"' in seaweed_bucket.s3.get(seaweed_bucket.name, key)


def test_pg_dump_older_than_the_server_is_refused_clearly(
    seaweed_bucket: S3Bucket, fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("RECONCILER_PG_BINDIR", str(tmp_path))
    major = postgres.server_info(fresh_database).major
    with pytest.raises(PermanentError) as failure:
        take(seaweed_bucket, fresh_database)
    assert str(failure.value) == (
        f"pg_dump 9.6.24 cannot dump a PostgreSQL {major} server: "
        f"install the PostgreSQL {major} client tools (or newer) so that pg_dump >= {major}"
    )
    assert seaweed_bucket.s3.list_objects(seaweed_bucket.name, "prod/") == []


def test_object_lock_retention_is_applied_to_the_dump_and_manifest(
    seaweed_locked_bucket: S3Bucket, fresh_database: str
) -> None:
    fill_small_database(fresh_database, rows=10)
    destination = Destination(seaweed_locked_bucket.name, "prod/", lock_mode="GOVERNANCE", lock_days=2)
    manifest = take_backup(seaweed_locked_bucket.s3, fresh_database, destination, environment="production")
    assert manifest.lock_mode == "GOVERNANCE" and manifest.lock_until is not None
    for key in (manifest.dump_key, manifest_key("prod/", manifest.backup_id)):
        head = seaweed_locked_bucket.s3.head(seaweed_locked_bucket.name, key)
        assert head["lock_mode"] == "GOVERNANCE"
        assert abs((head["lock_until"] - manifest.lock_until).total_seconds()) < 2


def test_lifecycle_rule_aborting_incomplete_uploads_is_added_once_and_keeps_other_rules(
    seaweed_bucket: S3Bucket,
) -> None:
    s3, bucket = seaweed_bucket.s3, seaweed_bucket.name
    other = {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 3}}
    s3._client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [other]})
    assert s3.ensure_abort_incomplete_uploads(bucket, days=3) is True
    assert s3.ensure_abort_incomplete_uploads(bucket, days=3) is False
    rules = {r["ID"]: r for r in s3.lifecycle_rules(bucket)}
    assert rules["reconciler-abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 3
    }
    assert "expire-tmp" in rules


def test_pre_deploy_backup_is_test_restored_when_the_policy_asks(
    seaweed_bucket: S3Bucket, fresh_database: str, postgres_url: str
) -> None:
    from reconciler.backup.operations import pre_deploy_backup
    from reconciler.desired.backups import Backups

    fill_small_database(fresh_database, rows=20)
    policy = Backups.model_validate(
        {
            "bucket": seaweed_bucket.name,
            "prefix": "prod/",
            "schedule": "0 3 * * *",
            "retention": {"keep_last": 3},
            "verify": {"before_deploy_restore": True},
        }
    )
    manifest = pre_deploy_backup(
        seaweed_bucket.s3,
        policy,
        fresh_database,
        environment="production",
        git_commit="abc1234",
        target_version="1.5.0",
        scratch_url=postgres_url,
    )
    (record,) = list_backups(seaweed_bucket.s3, seaweed_bucket.name, "prod/").backups
    assert record.id == manifest.backup_id and record.kind == "pre-deploy"
    assert [v.level for v in record.verifications] == ["cheap", "full"] and record.verified
    assert record.last_full_verification is not None and record.last_full_verification.row_counts == {
        "shop.orders": 20,
        "audit.events": 10,
        "public.tiny": 3,
    }
    # Every run makes sure the bucket aborts incomplete multipart uploads.
    rules = seaweed_bucket.s3.lifecycle_rules(seaweed_bucket.name)
    assert [r["ID"] for r in rules] == ["reconciler-abort-incomplete-multipart-uploads"]


def test_a_full_verification_of_a_corrupt_backup_fails_and_leaves_no_scratch_database(
    seaweed_bucket: S3Bucket, fresh_database: str, postgres_url: str
) -> None:
    fill_small_database(fresh_database, rows=20)
    manifest = take(seaweed_bucket, fresh_database, compression=Compression("gzip", 1))
    body = seaweed_bucket.s3.get(seaweed_bucket.name, manifest.dump_key)
    truncated = body[: len(body) * 2 // 3]
    seaweed_bucket.s3._client.put_object(Bucket=seaweed_bucket.name, Key=manifest.dump_key, Body=truncated)

    with pytest.raises(VerificationFailed, match=f"backup {manifest.backup_id}"):
        run_verification(seaweed_bucket.s3, manifest, "full", postgres_url)
    (record,) = list_backups(seaweed_bucket.s3, seaweed_bucket.name, "prod/").backups
    assert record.last_verification is not None and record.last_verification.level == "full"
    assert not record.verified
    with postgres.connect(postgres_url) as conn:
        mine = f"reconciler_verify_{manifest.backup_id[:15].lower()}%"
        scratch = conn.execute("select datname from pg_database where datname like %s", (mine,)).fetchall()
    assert scratch == []


def test_a_failed_backup_still_leaves_the_rule_that_aborts_incomplete_uploads(seaweed_bucket: S3Bucket) -> None:
    from reconciler.backup.operations import Target, run_backup
    from reconciler.desired.backups import Backups

    policy = Backups.model_validate(
        {"bucket": seaweed_bucket.name, "prefix": "prod/", "schedule": "0 3 * * *", "retention": {"keep_last": 3}}
    )
    nowhere = "postgresql://postgres@127.0.0.1:1/nowhere"
    with pytest.raises(TemporaryError, match="^PostgreSQL 127.0.0.1:1/nowhere: connect failed"):
        run_backup(
            seaweed_bucket.s3,
            Target("production", policy, nowhere),
            kind="manual",
            compression=None,
            git_commit=None,
            target_version=None,
        )
    rules = seaweed_bucket.s3.lifecycle_rules(seaweed_bucket.name)
    assert [r["ID"] for r in rules] == ["reconciler-abort-incomplete-multipart-uploads"]
