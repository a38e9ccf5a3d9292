"""Backups of different ages in the sandbox's S3: one real backup, then copies of it dated into the past.

A fresh sandbox has no history, but `plan` should show what a stale or a fresh backup looks like. We take one
real, verified backup of the sandbox database with the backup module, then copy its dump under older backup ids
with manifests (and verification records) whose times are moved back, so the catalog reads them as older backups.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from reconciler.backup.manifest import Manifest, Verification, dump_key, make_backup_id, manifest_key, verification_key
from reconciler.providers.s3 import S3, Encryption


def take_real_backup(s3: S3, database_url: str, bucket: str, prefix: str, environment: str) -> Manifest:
    """One real `pg_dump` streamed into the bucket, cheaply verified (checksum and full archive read)."""
    from reconciler.backup.take import Destination, take_backup

    return take_backup(s3, database_url, Destination(bucket=bucket, prefix=prefix), environment=environment)


def plant_aged_copies(
    s3: S3, original: Manifest, prefix: str, ages: Iterable[timedelta], *, verified: bool = True
) -> list[str]:
    """Copy `original` as backups taken `age` ago each; returns the new backup ids."""
    data = s3.get(original.bucket, original.dump_key)
    suffix = original.dump_key.rsplit("/dump", 1)[1]
    made = []
    for age in ages:
        at = datetime.now(UTC) - age
        backup_id = make_backup_id(original.kind, at)
        key = dump_key(prefix, backup_id, suffix)
        s3.put(original.bucket, key, data, encryption=Encryption())
        manifest = original.model_copy(
            update={
                "backup_id": backup_id,
                "dump_key": key,
                "snapshot_time": at,
                "started_at": at,
                "finished_at": at + (original.finished_at - original.started_at),
                "lock_mode": None,
                "lock_until": None,
            }
        )
        s3.put(
            original.bucket,
            manifest_key(prefix, backup_id),
            manifest.model_dump_json().encode(),
            encryption=Encryption(),
        )
        if verified:
            check = Verification(
                backup_id=backup_id,
                level="cheap",
                ok=True,
                checked_at=at,
                duration_seconds=0.1,
                message="sandbox copy of a verified backup",
                sha256_matches=True,
                archive_readable=True,
            )
            s3.put(
                original.bucket,
                verification_key(prefix, backup_id, "cheap", at),
                check.model_dump_json().encode(),
                encryption=Encryption(),
            )
        made.append(backup_id)
    return made
