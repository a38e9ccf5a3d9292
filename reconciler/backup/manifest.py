"""The manifest (a backup's commit marker) and verification records, and where each lives in the bucket.

Layout under the environment's prefix, one folder per backup, ids sorting by time:
  <prefix><backup_id>/dump.pgdump[.zst]       the archive
  <prefix><backup_id>/manifest.json           written last, create-only: the backup exists once this does
  <prefix><backup_id>/verify/<utc>-<level>.json  one record per verification run
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = 1
Kind = Literal["scheduled", "pre-deploy", "manual"]
Level = Literal["cheap", "full"]

# <UTC time>-<kind>[-<short commit>]-<4 random hex>: the random part keeps two runs in one second apart.
_ID = re.compile(r"^(\d{8}T\d{6}Z)-(scheduled|pre-deploy|manual)(?:-([0-9a-f]{1,12}))?-([0-9a-f]{4})$")


class Manifest(BaseModel):
    """Everything needed to trust, verify and restore one dump, captured in the dump's own snapshot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    backup_id: str
    kind: Kind
    environment: str
    tool_version: str
    git_commit: str | None = None
    target_version: str | None = None
    # the object
    bucket: str
    dump_key: str
    size: int
    sha256: str
    parts: int
    part_size: int
    etag: str
    version_id: str | None = None
    encryption: str
    kms_key_id: str | None = None
    lock_mode: str | None = None
    lock_until: datetime | None = None
    # the dump
    format: Literal["custom"] = "custom"
    compression: str
    pg_dump_version: str
    # the source, read inside the exported snapshot
    server_version: str
    server_version_num: int
    database: str
    database_size: int
    snapshot_id: str
    wal_lsn: str
    snapshot_time: datetime
    row_counts: dict[str, int]
    started_at: datetime
    finished_at: datetime

    @property
    def taken_at(self) -> datetime:
        return self.snapshot_time


class Verification(BaseModel):
    """The outcome of one verification of one backup, stored beside its manifest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backup_id: str
    level: Level
    ok: bool
    checked_at: datetime
    duration_seconds: float
    message: str
    sha256_matches: bool | None = None
    archive_readable: bool | None = None
    row_counts: dict[str, int | None] | None = None
    mismatches: list[str] = []
    amcheck_indexes: int | None = None


def normalise_prefix(prefix: str) -> str:
    prefix = prefix.lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def make_backup_id(kind: str, at: datetime, git_commit: str | None = None, token: str | None = None) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    short = (git_commit or "").lower()[:7]
    token = token or secrets.token_hex(2)
    return f"{stamp}-{kind}-{short}-{token}" if re.fullmatch(r"[0-9a-f]{1,12}", short) else f"{stamp}-{kind}-{token}"


def is_backup_id(text: str) -> bool:
    return _ID.match(text) is not None


def id_time(backup_id: str) -> datetime:
    match = _ID.match(backup_id)
    if not match:
        raise ValueError(f"not a backup id: {backup_id}")
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def dump_key(prefix: str, backup_id: str, suffix: str) -> str:
    return f"{normalise_prefix(prefix)}{backup_id}/dump{suffix}"


def manifest_key(prefix: str, backup_id: str) -> str:
    return f"{normalise_prefix(prefix)}{backup_id}/manifest.json"


def verification_key(prefix: str, backup_id: str, level: str, at: datetime) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{normalise_prefix(prefix)}{backup_id}/verify/{stamp}-{level}.json"


def split_key(prefix: str, key: str) -> tuple[str, str] | None:
    """(backup_id, rest) for a key in our layout, else None."""
    rest = key[len(normalise_prefix(prefix)) :]
    backup_id, sep, name = rest.partition("/")
    if not sep or not is_backup_id(backup_id):
        return None
    return backup_id, name
