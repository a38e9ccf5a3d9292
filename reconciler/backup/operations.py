"""The `reconciler backup ...` runs as plain functions: policy from the desired state, then take, list, verify,
prune and restore. The click layer (`reconciler.commands.backup`) only parses options and prints what these return.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.backup import catalog as catalog_module
from reconciler.backup.catalog import BackupRecord, Catalog, list_backups
from reconciler.backup.freshness import Freshness, freshness
from reconciler.backup.manifest import Level, Manifest, id_time, normalise_prefix
from reconciler.backup.restore import RestoreResult, restore_backup
from reconciler.backup.retain import Candidate, PrunePlan, plan_prune
from reconciler.backup.take import Destination, take_backup
from reconciler.backup.verify import run_verification
from reconciler.desired.backups import Backups
from reconciler.desired.model import DesiredState, Environment
from reconciler.errors import PermanentError, ProviderError, ReconcilerError
from reconciler.providers import pgdump
from reconciler.providers.s3 import S3, AccessDenied, Encryption

STALE_UPLOAD_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Target:
    """One environment's backup policy and where its database is."""

    environment: str
    policy: Backups
    database_url: str | None  # resolved only when a command needs the database
    database_ref: Any = None  # the secret reference ({env: NAME}) of the live database


def destination(policy: Backups) -> Destination:
    """Where and how the policy says backups go (encryption and object lock included)."""
    lock = policy.object_lock
    return Destination(
        bucket=policy.bucket,
        prefix=normalise_prefix(policy.prefix),
        encryption=Encryption(policy.encryption, policy.kms_key_id),
        lock_mode=lock.mode.upper() if lock else None,
        lock_days=lock.days if lock else 0,
    )


def load_targets(path: Path, names: tuple[str, ...], *, need_database: bool) -> list[Target]:
    """The named environments (default: every one with backups), each with its policy; a clear error otherwise."""
    from reconciler import secrets
    from reconciler.desired.load import load_desired_state

    desired: DesiredState = load_desired_state(path)
    chosen = list(names) or [n for n in desired.names() if desired[n].backups is not None]
    unknown = [n for n in chosen if n not in desired.environments]
    if unknown:
        raise ReconcilerError(
            f"no environment named {', '.join(unknown)} in {path} (have: {', '.join(desired.names())})"
        )
    if not chosen:
        raise ReconcilerError(f"no environment in {path} has a backups policy")
    targets = []
    for name in chosen:
        env: Environment = desired[name]
        if env.backups is None:
            raise ReconcilerError(f"environment {name} has no backups policy in {desired.source_of(name)}")
        url = secrets.resolve(env.database.url) if need_database and env.database is not None else None
        targets.append(Target(name, env.backups, url, env.database.url if env.database else None))
    return targets


def run_backup(
    s3: S3,
    target: Target,
    *,
    kind: str,
    compression: str | None,
    git_commit: str | None,
    target_version: str | None,
) -> Manifest:
    """Take and cheaply verify one backup, and make sure of the abort-incomplete-uploads lifecycle rule.

    The rule is checked after the dump, not before: its first S3 request would wait for the S3 client that is
    otherwise built while pg_dump starts. A rule added afterwards still covers uploads begun before it.
    """
    if target.database_url is None:
        raise PermanentError(f"environment {target.environment} has no database to back up")
    dest = destination(target.policy)
    try:
        manifest = take_backup(
            s3,
            target.database_url,
            dest,
            environment=target.environment,
            kind=kind,  # type: ignore[arg-type]
            compression=pgdump.parse_compression(compression),
            git_commit=git_commit,
            target_version=target_version,
        )
    except BaseException:
        with contextlib.suppress(ProviderError):  # the backup's own failure is the one to report
            _ensure_abort_rule(s3, dest.bucket)
        raise
    _ensure_abort_rule(s3, dest.bucket)
    return manifest


def _ensure_abort_rule(s3: S3, bucket: str) -> None:
    try:
        s3.ensure_abort_incomplete_uploads(bucket)
    except AccessDenied:
        pass  # a write-only backup role may not manage lifecycle; the prune role aborts stale uploads instead


def pre_deploy_backup(
    s3: S3,
    policy: Backups,
    database_url: str,
    *,
    environment: str,
    git_commit: str | None,
    target_version: str | None,
    scratch_url: str | None = None,
) -> Manifest:
    """The backup a deploy relies on: taken, cheaply verified and, when `verify.before_deploy_restore` asks,
    test-restored into a scratch database on `scratch_url`'s server (default: a throwaway local cluster).
    Raises if any of it fails: nothing half-done counts. Prune never deletes the newest pre-deploy backup.
    """
    manifest = run_backup(
        s3,
        Target(environment, policy, database_url),
        kind="pre-deploy",
        compression=None,
        git_commit=git_commit,
        target_version=target_version,
    )
    if policy.verify.before_deploy_restore:
        run_verification(s3, manifest, "full", scratch_url)
    return manifest


def catalog_of(s3: S3, target: Target) -> Catalog:
    return list_backups(s3, target.policy.bucket, target.policy.prefix)


def freshness_of(catalog: Catalog, policy: Backups, now: datetime | None = None) -> Freshness:
    return freshness(catalog.backups, policy.max_age, now)


def verify(s3: S3, target: Target, backup_id: str | None, level: Level, scratch_url: str | None) -> BackupRecord:
    """Verify one backup (default: the newest) and return it; raises VerificationFailed naming it on failure."""
    record = catalog_module.find(catalog_of(s3, target), backup_id)
    run_verification(s3, record.manifest, level, scratch_url)
    return catalog_module.find(catalog_of(s3, target), record.id)


@dataclass(frozen=True)
class PruneOutcome:
    plan: PrunePlan
    incomplete: tuple[str, ...]
    applied: bool
    aborted_uploads: int = 0


def prune(
    s3: S3, target: Target, *, apply: bool, now: datetime | None = None, protected: tuple[str, ...] = ()
) -> PruneOutcome:
    """Plan deletions by the policy; with `apply`, delete them, old incomplete backups and stale uploads."""
    now = now or datetime.now(UTC)
    catalog = catalog_of(s3, target)
    candidates = [Candidate(r.id, r.taken_at, r.verified, r.kind, r.manifest.lock_until) for r in catalog.backups]
    plan = plan_prune(candidates, target.policy.retention, now=now, protected=protected)
    stale = tuple(i for i in catalog.incomplete if now - id_time(i) > STALE_UPLOAD_AGE)
    if not apply:
        return PruneOutcome(plan, stale, applied=False)
    bucket, prefix = target.policy.bucket, normalise_prefix(target.policy.prefix)
    objects = s3.list_objects(bucket, prefix)
    for backup_id in [d.id for d in plan.delete] + list(stale):
        keys = [o.key for o in objects if o.key.startswith(f"{prefix}{backup_id}/")]
        manifest = [k for k in keys if k.endswith("/manifest.json")]
        # The manifest goes first: a half-deleted backup must not still look complete.
        s3.delete(bucket, manifest)
        s3.delete(bucket, [k for k in keys if k not in manifest])
    aborted = 0
    for upload in s3.list_uploads(bucket, prefix):
        initiated = upload.initiated if upload.initiated.tzinfo else upload.initiated.replace(tzinfo=UTC)
        if now - initiated > STALE_UPLOAD_AGE:
            s3.abort_upload(bucket, upload)
            aborted += 1
    return PruneOutcome(plan, stale, applied=True, aborted_uploads=aborted)


def restore(
    s3: S3,
    target: Target,
    backup_id: str | None,
    to_url: str,
    *,
    overwrite_live: bool,
    confirm_overwrite_live: bool,
) -> RestoreResult:
    record = catalog_module.find(catalog_of(s3, target), backup_id)
    return restore_backup(
        s3,
        record.manifest,
        to_url,
        live_url=target.database_url,
        overwrite_live=overwrite_live,
        confirm_overwrite_live=confirm_overwrite_live,
    )


# --- presentation --------------------------------------------------------------------------------------------------


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _status(record: BackupRecord) -> str:
    last = record.last_verification
    if last is None:
        return "unverified"
    return f"{'verified' if last.ok else 'FAILED'} ({last.level}, {last.checked_at:%Y-%m-%d %H:%M}Z)"


def _iso(at: datetime) -> str:
    """UTC with a Z, as the stored records write it."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def record_json(record: BackupRecord) -> dict[str, Any]:
    m = record.manifest
    last = record.last_verification
    full = record.last_full_verification
    return {
        "id": record.id,
        "kind": m.kind,
        "taken_at": _iso(m.snapshot_time),
        "size": m.size,
        "sha256": m.sha256,
        "key": m.dump_key,
        "compression": m.compression,
        "server_version": m.server_version,
        "git_commit": m.git_commit,
        "target_version": m.target_version,
        "verified": record.verified,
        "last_verification": None if last is None else json.loads(last.model_dump_json()),
        "last_full_verification_at": None if full is None else _iso(full.checked_at),
    }


def list_text(environment: str, catalog: Catalog, fresh: Freshness) -> str:
    lines = [f"{environment}: {len(catalog.backups)} backup(s); {fresh.describe()}"]
    for r in catalog.backups:
        lines.append(f"  {r.id:<40} {r.kind:<10} {_size(r.manifest.size):>10}  {_status(r)}")
    for i in catalog.incomplete:
        lines.append(f"  {i:<40} incomplete (no manifest)")
    return "\n".join(lines) + "\n"


def list_json(environment: str, catalog: Catalog, fresh: Freshness) -> dict[str, Any]:
    return {
        "environment": environment,
        "freshness": {
            "status": fresh.status,
            "newest_verified": fresh.newest_verified_id,
            "age_seconds": None if fresh.age is None else int(fresh.age.total_seconds()),
            "max_age_seconds": int(fresh.max_age.total_seconds()),
        },
        "backups": [record_json(r) for r in catalog.backups],
        "incomplete": list(catalog.incomplete),
    }


def prune_text(environment: str, outcome: PruneOutcome) -> str:
    verb = "deleted" if outcome.applied else "would delete"
    lines = [f"{environment}: keep {len(outcome.plan.keep)}, {verb} {len(outcome.plan.delete)}"]
    for d in outcome.plan.decisions:
        mark = "keep  " if d.keep else "delete"
        lines.append(f"  {mark} {d.id}  {', '.join(d.reasons)}")
    for i in outcome.incomplete:
        lines.append(
            f"  {'delete' if outcome.applied else 'would delete'} {i}  incomplete (no manifest), over a day old"
        )
    if outcome.aborted_uploads:
        lines.append(f"  aborted {outcome.aborted_uploads} stale multipart upload(s)")
    if not outcome.applied and (outcome.plan.delete or outcome.incomplete):
        lines.append("  dry run: pass --apply to delete")
    return "\n".join(lines) + "\n"


def with_live_database(target: Target, environ: dict[str, str] | None = None) -> Target:
    """The target with its live database URL when its secret is set (so restore can refuse to overwrite it)."""
    from dataclasses import replace

    from reconciler import secrets

    if target.database_url is not None:
        return target
    return replace(target, database_url=_live_url(target, environ, secrets))


def _live_url(target: Target, environ: dict[str, str] | None, secrets: Any) -> str | None:
    ref = target.database_ref
    return None if ref is None else secrets.resolve_optional(ref, environ)
