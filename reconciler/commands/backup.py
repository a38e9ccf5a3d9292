"""`reconciler backup run|list|verify|prune|restore`: the thin click layer over `reconciler.backup.operations`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from reconciler.commands.options import desired_option, environments_option, format_option

_environment = environments_option(
    "Work on this environment (repeatable). Default: every environment with a backups policy."
)
_desired = desired_option()
_endpoint = click.option(
    "--endpoint-url",
    metavar="URL",
    default=None,
    help="S3 endpoint for S3-compatible services (default: $AWS_ENDPOINT_URL, else AWS).",
)
_format = format_option(["text", "json"], "Output format.", dest="output")


# The explicit opt-in to restore a full verification's scratch copy on the environment's own (live) server.
LIVE_SERVER = "live"


def _s3(endpoint_url: str | None) -> Any:
    from reconciler.providers.s3 import S3

    return S3(endpoint_url)


@click.group()
def backup() -> None:
    """Back up the database to S3, and list, verify, prune and restore those backups."""


@backup.command("run")
@_environment
@_desired
@_endpoint
@click.option(
    "--kind",
    type=click.Choice(["scheduled", "pre-deploy", "manual"]),
    default="manual",
    show_default=True,
    help="Why this backup is taken (pre-deploy backups are never pruned while newest).",
)
@click.option(
    "--compression",
    metavar="METHOD",
    default=None,
    help="zstd[:LEVEL], gzip[:LEVEL] or none. Default: zstd:1 when zstd is installed, else gzip:1.",
)
@click.option(
    "--git-commit", metavar="SHA", default=None, help="Commit the backup is taken for (default: $GITHUB_SHA)."
)
@click.option("--target-version", metavar="VERSION", default=None, help="Version about to be deployed (pre-deploy).")
def run(
    environments: tuple[str, ...],
    path: Path,
    endpoint_url: str | None,
    kind: str,
    compression: str | None,
    git_commit: str | None,
    target_version: str | None,
) -> int:
    """Dump the database with pg_dump, stream it to S3, verify it, and commit it with its manifest."""
    from reconciler.backup import operations

    targets = operations.load_targets(path, environments, need_database=True)
    s3 = _s3(endpoint_url)
    for target in targets:
        manifest = operations.run_backup(
            s3,
            target,
            kind=kind,
            compression=compression,
            git_commit=git_commit or os.environ.get("GITHUB_SHA"),
            target_version=target_version,
        )
        click.echo(
            f"{target.environment}: backup {manifest.backup_id} taken and verified "
            f"({manifest.size} bytes, sha256 {manifest.sha256[:16]}..., s3://{manifest.bucket}/{manifest.dump_key})"
        )
    return 0


@backup.command("list")
@_environment
@_desired
@_endpoint
@_format
def list_(environments: tuple[str, ...], path: Path, endpoint_url: str | None, output: str) -> int:
    """List backups, newest first, with their verification status and the environment's freshness. Read-only."""
    from reconciler.backup import operations

    s3 = _s3(endpoint_url)
    results = []
    for target in operations.load_targets(path, environments, need_database=False):
        catalog = operations.catalog_of(s3, target)
        fresh = operations.freshness_of(catalog, target.policy)
        if output == "json":
            results.append(operations.list_json(target.environment, catalog, fresh))
        else:
            click.echo(operations.list_text(target.environment, catalog, fresh), nl=False)
    if output == "json":
        click.echo(json.dumps({"format_version": 1, "environments": results}, indent=2))
    return 0


@backup.command("verify")
@click.argument("backup_id", required=False)
@_environment
@_desired
@_endpoint
@_format
@click.option(
    "--level",
    type=click.Choice(["cheap", "full"]),
    default="full",
    show_default=True,
    help="cheap: checksum and a full read of the archive; full: restore into a scratch database and compare.",
)
@click.option(
    "--scratch-url",
    envvar="SCRATCH_DATABASE_URL",
    metavar="URL|live",
    default=None,
    help="Server for the scratch database of a full verification (default: $SCRATCH_DATABASE_URL, else a"
    " throwaway cluster started from the installed PostgreSQL server binaries, of at least the backup's major"
    " version). `live` opts in to the environment's own database server. The scratch database is dropped"
    " afterwards.",
)
def verify(
    backup_id: str | None,
    environments: tuple[str, ...],
    path: Path,
    endpoint_url: str | None,
    output: str,
    level: str,
    scratch_url: str | None,
) -> int:
    """Verify BACKUP_ID (default: the newest backup) and record the result beside its manifest."""
    from reconciler.backup import operations
    from reconciler.errors import UsageError

    targets = operations.load_targets(path, environments, need_database=False)
    if backup_id and len(targets) != 1:
        raise UsageError("name one --environment when verifying a specific backup")
    s3 = _s3(endpoint_url)
    results = []
    for target in targets:
        server = scratch_url
        if level == "full" and server == LIVE_SERVER:
            server = operations.with_live_database(target).database_url
            if not server:
                raise UsageError(
                    f"--scratch-url {LIVE_SERVER} puts the scratch database on {target.environment}'s own database"
                    " server, but its database secret is not set"
                )
        record = operations.verify(s3, target, backup_id, level, server)  # type: ignore[arg-type]
        last = record.last_verification
        assert last is not None
        if output == "json":
            results.append({"environment": target.environment, **operations.record_json(record)})
        else:
            click.echo(f"{target.environment}: backup {record.id} verified ({last.level}): {last.message}")
    if output == "json":
        click.echo(json.dumps({"format_version": 1, "verified": results}, indent=2))
    return 0


@backup.command("prune")
@_environment
@_desired
@_endpoint
@click.option("--apply", "apply", is_flag=True, help="Delete for real. Without it, only print the plan (dry run).")
@click.option(
    "--protect", "protected", multiple=True, metavar="BACKUP_ID", help="Never delete this backup (repeatable)."
)
def prune(
    environments: tuple[str, ...], path: Path, endpoint_url: str | None, apply: bool, protected: tuple[str, ...]
) -> int:
    """Delete backups the retention policy no longer keeps (restic forget semantics). Dry run unless --apply.

    Never deletes the newest verified backup, the newest pre-deploy backup, a --protect'ed one, or one still under
    object lock; an empty policy deletes nothing.
    """
    from reconciler.backup import operations

    s3 = _s3(endpoint_url)
    for target in operations.load_targets(path, environments, need_database=False):
        outcome = operations.prune(s3, target, apply=apply, protected=protected)
        click.echo(operations.prune_text(target.environment, outcome), nl=False)
    return 0


@backup.command("restore")
@click.argument("backup_id", required=False)
@_environment
@_desired
@_endpoint
@click.option(
    "--to",
    "to",
    required=True,
    metavar="NEW_DATABASE_URL",
    help="Database to restore into (created if missing, must be empty). env:NAME reads it from a variable.",
)
@click.option("--overwrite-live", is_flag=True, help="Allow the target to be the live database (needs confirmation).")
@click.option(
    "--i-understand-this-replaces-live-data",
    "confirm_live",
    is_flag=True,
    help="The separate confirmation that --overwrite-live requires.",
)
def restore(
    backup_id: str | None,
    environments: tuple[str, ...],
    path: Path,
    endpoint_url: str | None,
    to: str,
    overwrite_live: bool,
    confirm_live: bool,
) -> int:
    """Restore BACKUP_ID (default: the newest backup) into a new database, then check row counts."""
    from reconciler import secrets
    from reconciler.backup import operations
    from reconciler.errors import UsageError

    if len(environments) != 1:
        raise UsageError("restore needs exactly one --environment")
    to_url = secrets.resolve(to[4:]) if to.startswith("env:") else to
    (target,) = operations.load_targets(path, environments, need_database=False)
    target = operations.with_live_database(target)
    result = operations.restore(
        _s3(endpoint_url),
        target,
        backup_id,
        to_url,
        overwrite_live=overwrite_live,
        confirm_overwrite_live=confirm_live,
    )
    counts = ", ".join(f"{t} {n}" for t, n in result.row_counts.items())
    click.echo(
        f"{target.environment}: backup {result.backup_id} restored into {result.target} "
        f"in {result.duration_seconds:.1f}s; row counts match the manifest ({counts or 'no tables'})"
    )
    return 0
