"""What backups exist under an environment's prefix: manifests and their verification records (read-only).

A dump without a manifest is not a backup (the upload or the run died before the commit marker); it is listed
separately as incomplete so prune can clean it up.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pydantic import ValidationError

from reconciler.backup.manifest import Manifest, Verification, normalise_prefix, split_key
from reconciler.errors import PermanentError
from reconciler.observed import BackupFact, BackupsFacts
from reconciler.providers.s3 import S3

_T = TypeVar("_T", Manifest, Verification)
_READERS = 8  # concurrent GETs; the S3 client keeps 16 pooled connections


@dataclass(frozen=True)
class BackupRecord:
    """One complete backup: its manifest and every verification of it, oldest first."""

    manifest: Manifest
    verifications: tuple[Verification, ...] = ()

    @property
    def id(self) -> str:
        return self.manifest.backup_id

    @property
    def taken_at(self) -> datetime:
        return self.manifest.snapshot_time

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def last_verification(self) -> Verification | None:
        return self.verifications[-1] if self.verifications else None

    @property
    def verified(self) -> bool:
        """The latest verification passed (a later failure withdraws an earlier pass)."""
        last = self.last_verification
        return last is not None and last.ok

    @property
    def last_full_verification(self) -> Verification | None:
        full = [v for v in self.verifications if v.level == "full"]
        return full[-1] if full else None


@dataclass(frozen=True)
class Catalog:
    backups: tuple[BackupRecord, ...]  # newest first
    incomplete: tuple[str, ...]  # backup ids with objects but no manifest


def list_backups(s3: S3, bucket: str, prefix: str) -> Catalog:
    """Every backup under `prefix`, newest first, with its verification history (one GET per manifest and record,
    made concurrently)."""
    prefix = normalise_prefix(prefix)
    grouped: dict[str, list[str]] = {}
    for obj in s3.list_objects(bucket, prefix):
        parsed = split_key(prefix, obj.key)
        if parsed:
            grouped.setdefault(parsed[0], []).append(parsed[1])
    incomplete = sorted(backup_id for backup_id, names in grouped.items() if "manifest.json" not in names)
    # backup id -> its verification records' names, oldest first (the names start with a UTC stamp)
    checks = {
        backup_id: sorted(n for n in names if n.startswith("verify/") and n.endswith(".json"))
        for backup_id, names in grouped.items()
        if "manifest.json" in names
    }
    keys = [f"{prefix}{backup_id}/{n}" for backup_id, names in checks.items() for n in ["manifest.json", *names]]
    bodies = _get_all(s3, bucket, keys)
    records = []
    for backup_id, names in checks.items():
        where = f"{prefix}{backup_id}"
        manifest = _load(Manifest, bodies[f"{where}/manifest.json"], where)
        verifications = tuple(_load(Verification, bodies[f"{where}/{n}"], f"{where}/{n}") for n in names)
        records.append(BackupRecord(manifest, verifications))
    records.sort(key=lambda r: (r.taken_at, r.id), reverse=True)
    return Catalog(tuple(records), tuple(incomplete))


def _get_all(s3: S3, bucket: str, keys: list[str]) -> dict[str, bytes]:
    """Read every key at once: a plan waits on this, and one GET after another grows with the backups kept."""
    if len(keys) <= 1:
        return {key: s3.get(bucket, key) for key in keys}
    with ThreadPoolExecutor(max_workers=_READERS, thread_name_prefix="s3-catalog") as pool:
        return dict(zip(keys, pool.map(lambda key: s3.get(bucket, key), keys), strict=True))


def _load(model: type[_T], body: bytes, where: str) -> _T:
    try:
        return model.model_validate_json(body)
    except ValidationError as e:
        raise PermanentError(f"{where}: unreadable {model.__name__.lower()} ({e.error_count()} problems)") from e


def find(catalog: Catalog, backup_id: str | None) -> BackupRecord:
    """The backup with this id, or the newest one when `backup_id` is None."""
    if not catalog.backups:
        raise PermanentError("no backups found")
    if backup_id is None:
        return catalog.backups[0]
    for record in catalog.backups:
        if record.id == backup_id:
            return record
    raise PermanentError(f"no backup {backup_id}")


def newest_verified(records: tuple[BackupRecord, ...] | list[BackupRecord]) -> BackupRecord | None:
    verified = [r for r in records if r.verified]
    return max(verified, key=lambda r: r.taken_at) if verified else None


def to_facts(catalog: Catalog) -> BackupsFacts:
    """The provider-neutral record the planner reads."""
    return BackupsFacts(
        backups=tuple(BackupFact(r.id, r.taken_at, r.manifest.size, r.verified) for r in catalog.backups)
    )
