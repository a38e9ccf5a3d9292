"""Take a backup: `pg_dump -Fc` in an exported snapshot, streamed to S3, checked, then committed by its manifest.

Order matters: dump object, cheap verification (read back: SHA-256 and `pg_restore -f /dev/null`), manifest
(create-only), verification record. A failure at any point before the manifest leaves no backup: the multipart
upload is aborted, or the unverified object deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reconciler import __version__
from reconciler.backup.manifest import Kind, Manifest, dump_key, make_backup_id, manifest_key
from reconciler.backup.verify import cheap_verify, record_verification
from reconciler.errors import ProviderError, VerificationFailed
from reconciler.providers import pgdump, postgres
from reconciler.providers.s3 import S3, Encryption, Lock, part_size_for


@dataclass(frozen=True)
class Destination:
    """Where and how backups of one environment are stored."""

    bucket: str
    prefix: str
    encryption: Encryption = Encryption()
    lock_mode: str | None = None  # GOVERNANCE | COMPLIANCE; None: no object lock
    lock_days: int = 0

    def lock(self, now: datetime) -> Lock | None:
        if not self.lock_mode or self.lock_days <= 0:
            return None
        return Lock(self.lock_mode, now + timedelta(days=self.lock_days))


def take_backup(
    s3: S3,
    database_url: str,
    destination: Destination,
    *,
    environment: str,
    kind: Kind = "scheduled",
    compression: pgdump.Compression | None = None,
    git_commit: str | None = None,
    target_version: str | None = None,
    part_size: int | None = None,
    concurrency: int = 4,
    count_largest: int = 10,
    on_part: Callable[[int, int], None] | None = None,
    verify: bool = True,
) -> Manifest:
    """Dump the database at `database_url` into the destination and return the committed manifest."""
    compression = compression or pgdump.parse_compression(None)
    info = postgres.server_info(database_url)
    client = pgdump.check_client_supports(info.version_num, "pg_dump")
    pgdump.check_client_supports(info.version_num, "pg_restore")
    started = datetime.now(UTC)
    backup_id = make_backup_id(kind, started, git_commit)
    key = dump_key(destination.prefix, backup_id, compression.suffix)
    lock = destination.lock(started)
    size_hint = info.size_bytes
    with postgres.exported_snapshot(database_url, count_largest) as snapshot:
        stream = pgdump.DumpStream(database_url, snapshot=snapshot.snapshot_id, compression=compression)
        s3.prepare()  # the S3 client is built while the dump starts: its first part is a second away
        try:
            uploaded = s3.upload_stream(
                destination.bucket,
                key,
                stream,
                part_size=part_size or part_size_for(size_hint),
                encryption=destination.encryption,
                lock=lock,
                concurrency=concurrency,
                on_part=on_part,
            )
        except BaseException:
            stream.kill()
            raise
        try:
            counts = dict(snapshot.row_counts)  # read beside the dump, in its snapshot
        except BaseException:
            _discard(s3, destination.bucket, key)
            raise
    finished = datetime.now(UTC)
    if uploaded.size != stream.size:
        _discard(s3, destination.bucket, key)
        raise ProviderError(f"backup {backup_id}: uploaded {uploaded.size} bytes but pg_dump wrote {stream.size}")
    manifest = Manifest(
        backup_id=backup_id,
        kind=kind,
        environment=environment,
        tool_version=__version__,
        git_commit=git_commit,
        target_version=target_version,
        bucket=destination.bucket,
        dump_key=key,
        size=stream.size,
        sha256=stream.sha256.hexdigest(),
        parts=uploaded.parts,
        part_size=uploaded.part_size,
        etag=uploaded.etag,
        version_id=uploaded.version_id,
        encryption=destination.encryption.mode,
        kms_key_id=destination.encryption.kms_key_id,
        lock_mode=lock.mode if lock else None,
        lock_until=lock.until if lock else None,
        compression=compression.label,
        pg_dump_version=client.text,
        server_version=info.version,
        server_version_num=info.version_num,
        database=info.database,
        database_size=info.size_bytes,
        snapshot_id=snapshot.snapshot_id,
        wal_lsn=snapshot.wal_lsn,
        snapshot_time=snapshot.taken_at.astimezone(UTC),
        row_counts=counts,
        started_at=started,
        finished_at=finished,
    )
    check = cheap_verify(s3, manifest) if verify else None
    if check is not None and not check.ok:
        _discard(s3, destination.bucket, key)
        raise VerificationFailed(f"backup {backup_id}: {check.message}; the dump was not kept")
    body = manifest.model_dump_json(indent=2).encode()
    s3.put(
        destination.bucket,
        manifest_key(destination.prefix, backup_id),
        body,
        encryption=destination.encryption,
        lock=lock,
        create_only=True,
        content_type="application/json",
    )
    if check is not None:
        record_verification(s3, manifest, check)
    return manifest


def _discard(s3: S3, bucket: str, key: str) -> None:
    try:
        s3.delete(bucket, [key])
    except ProviderError:
        pass  # without a manifest it is not a backup; prune removes incomplete leftovers
