"""Verify a backup and record the outcome in S3 beside its manifest.

cheap: stream the object back, compare SHA-256 and size with the manifest, and read the whole archive with
       `pg_restore -f /dev/null` (the same single read does both). Seconds; run after every upload.
full:  restore into a scratch database, compare exact row counts with the manifest, run amcheck where available,
       drop the scratch database. Minutes; weekly by default. The scratch database goes on a throwaway cluster
       started from the installed server binaries unless a server is given: a test copy never lands on a real
       server (production's, say) unless the operator asks for it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from reconciler.backup.manifest import Level, Manifest, Verification, verification_key
from reconciler.errors import PermanentError, VerificationFailed
from reconciler.providers import pgcluster, pgdump, postgres
from reconciler.providers.s3 import S3, Encryption, ObjectMissing


def _compression(manifest: Manifest) -> pgdump.Compression:
    method, _, level = manifest.compression.partition(":")
    return pgdump.Compression(method, int(level) if level else 0)


def cheap_verify(s3: S3, manifest: Manifest) -> Verification:
    """SHA-256 of the stored object and an end-to-end read of the archive; never raises for a bad backup."""
    started = time.monotonic()
    what = f"backup {manifest.backup_id}"
    readable = True
    message = "checksum matches and the archive reads end to end"
    try:
        read = pgdump.read_archive(s3.iter_chunks(manifest.bucket, manifest.dump_key), _compression(manifest), what)
        sha, size = read.sha256, read.size
    except ObjectMissing:
        return Verification(
            backup_id=manifest.backup_id,
            level="cheap",
            ok=False,
            checked_at=datetime.now(UTC),
            duration_seconds=round(time.monotonic() - started, 3),
            message=f"{what}: the dump object s3://{manifest.bucket}/{manifest.dump_key} is missing",
            sha256_matches=False,
            archive_readable=False,
        )
    except VerificationFailed as e:
        # pg_restore choked; hash what is stored anyway so the record says whether the bytes changed.
        readable = False
        message = str(e)
        sha, size = _hash_object(s3, manifest)
    sha_ok = sha == manifest.sha256 and size == manifest.size
    if not sha_ok:
        message = (
            f"{what}: stored object does not match the manifest (sha256 {sha[:12]}..., {size} bytes; "
            f"expected {manifest.sha256[:12]}..., {manifest.size} bytes)" + ("" if readable else f"; {message}")
        )
    return Verification(
        backup_id=manifest.backup_id,
        level="cheap",
        ok=sha_ok and readable,
        checked_at=datetime.now(UTC),
        duration_seconds=round(time.monotonic() - started, 3),
        message=message,
        sha256_matches=sha_ok,
        archive_readable=readable,
    )


def _hash_object(s3: S3, manifest: Manifest) -> tuple[str, int]:
    import hashlib

    sha = hashlib.sha256()
    size = 0
    for chunk in s3.iter_chunks(manifest.bucket, manifest.dump_key):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def compare_counts(expected: dict[str, int], actual: dict[str, int | None]) -> list[str]:
    """One line per table whose restored row count differs from the manifest's."""
    problems = []
    for table, count in sorted(expected.items()):
        got = actual.get(table)
        if got is None:
            problems.append(f"{table}: missing after restore (manifest: {count} rows)")
        elif got != count:
            problems.append(f"{table}: {got} rows after restore, manifest says {count}")
    return problems


def scratch_name(backup_id: str) -> str:
    return f"reconciler_verify_{backup_id[:15].lower()}_{secrets.token_hex(3)}"


def full_verify(s3: S3, manifest: Manifest, server_url: str, where: str | None = None) -> Verification:
    """Restore into a throwaway database on `server_url`'s server, count rows, amcheck, drop it.

    `where` describes that server in the recorded message (default: its host and port).
    """
    where = where or f"a scratch database on {postgres.describe_url(server_url).rsplit('/', 1)[0]}"
    started = time.monotonic()
    what = f"backup {manifest.backup_id}"
    name = scratch_name(manifest.backup_id)
    scratch_url = postgres.with_database(server_url, name)
    counts: dict[str, int | None] | None = None
    mismatches: list[str] = []
    indexes: int | None = None
    sha_ok: bool | None = None
    postgres.create_database(server_url, name)
    try:
        try:
            read = pgdump.restore_archive(
                s3.iter_chunks(manifest.bucket, manifest.dump_key), _compression(manifest), scratch_url, what
            )
            sha_ok = read.sha256 == manifest.sha256 and read.size == manifest.size
            counts = postgres.row_counts(scratch_url, list(manifest.row_counts))
            mismatches = compare_counts(manifest.row_counts, counts)
            if not sha_ok:
                mismatches.insert(0, "stored object does not match the manifest's SHA-256")
            check = postgres.amcheck(scratch_url)
            indexes = check.indexes_checked if check.available else None
            message = (
                f"restored into {where}; {len(counts)} row counts match; "
                + (f"amcheck passed on {indexes} indexes" if indexes is not None else "amcheck not available")
                if not mismatches
                else f"{what}: " + "; ".join(mismatches)
            )
        except VerificationFailed as e:
            mismatches = mismatches or [str(e)]
            message = str(e)
    finally:
        postgres.drop_database(server_url, name)
    return Verification(
        backup_id=manifest.backup_id,
        level="full",
        ok=not mismatches,
        checked_at=datetime.now(UTC),
        duration_seconds=round(time.monotonic() - started, 3),
        message=message,
        sha256_matches=sha_ok,
        archive_readable=counts is not None,
        row_counts=counts,
        mismatches=mismatches,
        amcheck_indexes=indexes,
    )


def record_verification(s3: S3, manifest: Manifest, verification: Verification) -> str:
    """Store the outcome beside the manifest (a new object per run: a locked manifest cannot be rewritten)."""
    prefix = manifest.dump_key[: manifest.dump_key.index(manifest.backup_id)]
    key = verification_key(prefix, manifest.backup_id, verification.level, verification.checked_at)
    encryption = Encryption(manifest.encryption, manifest.kms_key_id)
    s3.put(
        manifest.bucket,
        key,
        verification.model_dump_json(indent=2).encode(),
        encryption=encryption,
        create_only=True,
        content_type="application/json",
    )
    return key


@contextmanager
def scratch_server(manifest: Manifest, server_url: str | None) -> Iterator[tuple[str, str | None]]:
    """(server URL, description) for a full verification's scratch database: `server_url` when given, else a
    throwaway cluster of the newest installed PostgreSQL, which must be at least the backup's server major."""
    if server_url:
        yield server_url, None
        return
    major = manifest.server_version_num // 10000
    try:
        cluster = pgcluster.PostgresCluster(min_major=major).start()
    except PermanentError as e:
        raise PermanentError(
            f"backup {manifest.backup_id} (PostgreSQL {major}) cannot be test-restored here: {e}; or give a server"
            " for the scratch database (--scratch-url URL or $SCRATCH_DATABASE_URL)"
        ) from e
    try:
        yield cluster.url, f"a throwaway PostgreSQL {cluster.major} cluster"
    finally:
        cluster.stop()


def run_verification(s3: S3, manifest: Manifest, level: Level, server_url: str | None = None) -> Verification:
    """Verify at `level`, record the outcome, and raise VerificationFailed (naming the backup) if it failed.

    A full verification restores on `server_url`'s server, or without one on a throwaway local cluster.
    """
    if level == "full":
        with scratch_server(manifest, server_url) as (url, where):
            outcome = full_verify(s3, manifest, url, where)
    else:
        outcome = cheap_verify(s3, manifest)
    record_verification(s3, manifest, outcome)
    if not outcome.ok:
        message = outcome.message
        if manifest.backup_id not in message:
            message = f"backup {manifest.backup_id}: {message}"
        raise VerificationFailed(message)
    return outcome
