"""Restore a backup into a new database, never over the live one unless explicitly and separately confirmed.

After the restore, exact row counts are compared with the manifest; a mismatch fails the restore loudly (the
restored database is left in place for inspection).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from reconciler.backup.manifest import Manifest
from reconciler.backup.verify import _compression, compare_counts
from reconciler.errors import GateRefused, PermanentError, VerificationFailed
from reconciler.providers import pgdump, postgres
from reconciler.providers.s3 import S3


@dataclass(frozen=True)
class RestoreResult:
    backup_id: str
    target: str  # host:port/dbname, no credentials
    created: bool
    row_counts: dict[str, int | None]
    duration_seconds: float


def _same_database(a: str, b: str) -> bool:
    return postgres.describe_url(a) == postgres.describe_url(b)


def restore_backup(
    s3: S3,
    manifest: Manifest,
    to_url: str,
    *,
    live_url: str | None = None,
    overwrite_live: bool = False,
    confirm_overwrite_live: bool = False,
) -> RestoreResult:
    """Restore `manifest`'s dump into the database at `to_url`, creating it when it does not exist.

    An existing database must be empty. The live database (`live_url`) is refused unless both `overwrite_live`
    and `confirm_overwrite_live` are set; then its objects are replaced in one transaction (all or nothing).
    """
    started = time.monotonic()
    target = postgres.describe_url(to_url)
    replace_live = False
    if live_url is not None and _same_database(to_url, live_url):
        replace_live = True
        if not (overwrite_live and confirm_overwrite_live):
            raise GateRefused(
                f"refusing to restore into the live database {target}: restore into a new database, or pass both "
                "--overwrite-live and --i-understand-this-replaces-live-data"
            )
    pgdump.check_client_supports(
        postgres.server_info(postgres.with_database(to_url, "postgres")).version_num, "pg_restore"
    )
    name = postgres.database_name(to_url)
    created = False
    if not postgres.database_exists(to_url, name):
        postgres.create_database(to_url, name)
        created = True
    elif not replace_live and postgres.user_relations(to_url) > 0:
        raise PermanentError(f"{target} is not empty: restore into a new or empty database")
    pgdump.restore_archive(
        s3.iter_chunks(manifest.bucket, manifest.dump_key),
        _compression(manifest),
        to_url,
        f"restore of backup {manifest.backup_id} into {target}",
        replace=replace_live,
    )
    counts = postgres.row_counts(to_url, list(manifest.row_counts))
    problems = compare_counts(manifest.row_counts, counts)
    if problems:
        raise VerificationFailed(f"backup {manifest.backup_id} restored into {target}, but: " + "; ".join(problems))
    return RestoreResult(manifest.backup_id, target, created, counts, round(time.monotonic() - started, 3))
