"""Catalog, prune and encryption choreography on moto (in-process S3): fast, no PostgreSQL needed except for KMS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.backup import operations
from reconciler.backup.catalog import find, list_backups, newest_verified, to_facts
from reconciler.backup.manifest import Manifest, Verification, dump_key, make_backup_id, manifest_key
from reconciler.backup.take import Destination, take_backup
from reconciler.backup.verify import record_verification
from reconciler.desired.backups import Backups
from reconciler.errors import PermanentError
from reconciler.providers.s3 import Encryption
from tests.backup.conftest import fill_small_database
from tests.fixtures.s3 import S3Bucket

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def plant(bucket: S3Bucket, at: datetime, *, verified: bool | None = True, kind: str = "scheduled") -> Manifest:
    backup_id = make_backup_id(kind, at)
    key = dump_key("prod/", backup_id, ".pgdump")
    bucket.s3.put(bucket.name, key, b"PGDMP fake", encryption=Encryption())
    manifest = Manifest(
        backup_id=backup_id,
        kind=kind,  # type: ignore[arg-type]
        environment="production",
        tool_version="0",
        bucket=bucket.name,
        dump_key=key,
        size=10,
        sha256="0" * 64,
        parts=1,
        part_size=16 << 20,
        etag='"x"',
        encryption="AES256",
        compression="none",
        pg_dump_version="15.20",
        server_version="15.20",
        server_version_num=150020,
        database="app",
        database_size=1,
        snapshot_id="s",
        wal_lsn="0/0",
        snapshot_time=at,
        row_counts={},
        started_at=at,
        finished_at=at,
    )
    bucket.s3.put(
        bucket.name, manifest_key("prod/", backup_id), manifest.model_dump_json().encode(), encryption=Encryption()
    )
    if verified is not None:
        record_verification(
            bucket.s3,
            manifest,
            Verification(
                backup_id=backup_id, level="cheap", ok=verified, checked_at=at, duration_seconds=0.1, message="m"
            ),
        )
    return manifest


def policy(bucket: S3Bucket, **retention: object) -> operations.Target:
    backups = Backups.model_validate(
        {"bucket": bucket.name, "prefix": "prod/", "schedule": "0 3 * * *", "retention": retention}
    )
    return operations.Target("production", backups, None)


def test_catalog_lists_newest_first_and_a_later_failure_withdraws_verification(moto_bucket: S3Bucket) -> None:
    old = plant(moto_bucket, NOW - timedelta(days=2))
    new = plant(moto_bucket, NOW - timedelta(hours=1))
    record_verification(
        moto_bucket.s3,
        new,
        Verification(backup_id=new.backup_id, level="full", ok=False, checked_at=NOW, duration_seconds=1, message="x"),
    )
    catalog = list_backups(moto_bucket.s3, moto_bucket.name, "prod")
    assert [r.id for r in catalog.backups] == [new.backup_id, old.backup_id]
    assert [r.verified for r in catalog.backups] == [False, True]
    assert newest_verified(catalog.backups).id == old.backup_id  # type: ignore[union-attr]
    assert find(catalog, None).id == new.backup_id
    with pytest.raises(PermanentError, match="no backup nope"):
        find(catalog, "nope")
    facts = to_facts(catalog)
    assert facts.newest_verified is not None and facts.newest_verified.id == old.backup_id
    fresh = operations.freshness_of(catalog, policy(moto_bucket, keep_last=1).policy, NOW)
    assert fresh.status == "stale" and fresh.newest_verified_id == old.backup_id


def test_a_dump_without_manifest_is_incomplete_not_a_backup(moto_bucket: S3Bucket) -> None:
    at = NOW - timedelta(days=3)
    orphan = make_backup_id("scheduled", at)
    moto_bucket.s3.put(moto_bucket.name, dump_key("prod/", orphan, ".pgdump"), b"partial", encryption=Encryption())
    catalog = list_backups(moto_bucket.s3, moto_bucket.name, "prod/")
    assert catalog.backups == () and catalog.incomplete == (orphan,)


def test_prune_is_a_dry_run_until_applied_and_then_deletes_whole_backups(moto_bucket: S3Bucket) -> None:
    days = [plant(moto_bucket, NOW - timedelta(days=d)) for d in (5, 4, 3, 2, 1)]
    orphan = make_backup_id("scheduled", NOW - timedelta(days=3))
    moto_bucket.s3.put(moto_bucket.name, dump_key("prod/", orphan, ".pgdump"), b"partial", encryption=Encryption())
    target = policy(moto_bucket, keep_last=2)

    dry = operations.prune(moto_bucket.s3, target, apply=False, now=NOW)
    assert [d.id for d in dry.plan.delete] == [m.backup_id for m in reversed(days[:3])]
    assert dry.incomplete == (orphan,)
    assert len(list_backups(moto_bucket.s3, moto_bucket.name, "prod/").backups) == 5

    done = operations.prune(moto_bucket.s3, target, apply=True, now=NOW)
    assert done.applied
    left = list_backups(moto_bucket.s3, moto_bucket.name, "prod/")
    assert [r.id for r in left.backups] == [days[4].backup_id, days[3].backup_id]
    assert left.incomplete == ()
    keys = [o.key for o in moto_bucket.s3.list_objects(moto_bucket.name, "prod/")]
    assert all(k.startswith((f"prod/{days[4].backup_id}/", f"prod/{days[3].backup_id}/")) for k in keys)


def test_prune_keeps_the_newest_verified_even_when_the_policy_would_not(moto_bucket: S3Bucket) -> None:
    verified = plant(moto_bucket, NOW - timedelta(days=3))
    plant(moto_bucket, NOW - timedelta(days=2), verified=False)
    plant(moto_bucket, NOW - timedelta(days=1), verified=None)
    outcome = operations.prune(moto_bucket.s3, policy(moto_bucket, keep_last=1), apply=True, now=NOW)
    kept = {d.id: d.reasons for d in outcome.plan.keep}
    assert kept[verified.backup_id] == ("newest verified backup",)
    assert len(list_backups(moto_bucket.s3, moto_bucket.name, "prod/").backups) == 2


def test_prune_aborts_stale_multipart_uploads(moto_bucket: S3Bucket) -> None:
    plant(moto_bucket, NOW - timedelta(days=1))
    moto_bucket.s3._client.create_multipart_upload(Bucket=moto_bucket.name, Key="prod/x/dump.pgdump")
    assert len(moto_bucket.s3.list_uploads(moto_bucket.name, "prod/")) == 1
    outcome = operations.prune(
        moto_bucket.s3, policy(moto_bucket, keep_last=5), apply=True, now=datetime.now(UTC) + timedelta(days=2)
    )
    assert outcome.aborted_uploads == 1
    assert moto_bucket.s3.list_uploads(moto_bucket.name, "prod/") == []


@pytest.mark.integration
def test_kms_encryption_with_the_policy_key_is_on_every_object(moto_bucket: S3Bucket, fresh_database: str) -> None:
    fill_small_database(fresh_database, rows=10)
    key_id = "arn:aws:kms:us-east-1:111122223333:key/backup-key"
    destination = Destination(moto_bucket.name, "prod/", encryption=Encryption("aws:kms", key_id))
    take_backup(moto_bucket.s3, fresh_database, destination, environment="production")
    objects = moto_bucket.s3.list_objects(moto_bucket.name, "prod/")
    assert len(objects) == 3  # dump, manifest, verification record
    for obj in objects:
        head = moto_bucket.s3.head(moto_bucket.name, obj.key)
        assert (head["encryption"], head["kms_key_id"]) == ("aws:kms", key_id), obj.key


def test_destination_follows_the_policy() -> None:
    backups = Backups.model_validate(
        {
            "bucket": "fixia-backups",
            "prefix": "production/",
            "schedule": "0 3 * * *",
            "retention": {"keep_last": 3},
            "encryption": "aws:kms",
            "kms_key_id": "alias/backups",
            "object_lock": {"mode": "compliance", "days": 35},
        }
    )
    dest = operations.destination(backups)
    assert dest.encryption.put_args() == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/backups"}
    lock = dest.lock(NOW)
    assert lock is not None and lock.mode == "COMPLIANCE" and lock.until == NOW + timedelta(days=35)


def test_a_missing_dump_fails_verification_naming_the_backup(moto_bucket: S3Bucket) -> None:
    from reconciler.backup.verify import run_verification
    from reconciler.errors import VerificationFailed

    manifest = plant(moto_bucket, datetime.now(UTC) - timedelta(hours=1))
    moto_bucket.s3.delete(moto_bucket.name, [manifest.dump_key])
    with pytest.raises(VerificationFailed, match=f"backup {manifest.backup_id}: the dump object .* is missing"):
        run_verification(moto_bucket.s3, manifest, "cheap")
    assert not list_backups(moto_bucket.s3, moto_bucket.name, "prod/").backups[0].verified


def test_a_full_verification_needs_a_local_server_at_least_the_backups_major(moto_bucket: S3Bucket) -> None:
    from reconciler.backup.verify import run_verification
    from reconciler.providers.pgcluster import installed_servers

    newer = max(installed_servers(), default=15) + 1
    manifest = plant(moto_bucket, datetime.now(UTC) - timedelta(hours=1), verified=None)
    manifest = manifest.model_copy(update={"server_version_num": newer * 10000 + 2})
    with pytest.raises(PermanentError) as caught:
        run_verification(moto_bucket.s3, manifest, "full")
    assert str(caught.value).startswith(
        f"backup {manifest.backup_id} (PostgreSQL {newer}) cannot be test-restored here: no installed PostgreSQL"
        f" server is major {newer} or newer (installed: "
    )
    assert str(caught.value).endswith(
        f"install postgresql-{newer} (or newer) for the throwaway cluster; or give a server for the scratch database"
        " (--scratch-url URL or $SCRATCH_DATABASE_URL)"
    )
    # An environment problem, not a verdict on the backup: nothing is recorded.
    assert list_backups(moto_bucket.s3, moto_bucket.name, "prod/").backups[0].last_verification is None
