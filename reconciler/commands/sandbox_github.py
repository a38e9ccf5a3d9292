"""`reconciler sandbox github`: run the GitHub REST stand-in on loopback until interrupted."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click


def _repo_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", value):
        raise click.BadParameter("must be OWNER/NAME, e.g. fixia/infra")
    return value


@click.command("github")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port on 127.0.0.1 (0: any).")
@click.option(
    "--repo",
    default="sandbox/infra",
    show_default=True,
    callback=_repo_name,
    help="The repository to serve, OWNER/NAME, with a default branch main.",
)
@click.option(
    "--seed-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Commit every file under this directory to main (e.g. a checkout holding desired-state/).",
)
@click.option("--validate", is_flag=True, help="Check each response against the OpenAPI slice (slower).")
def sandbox_github(port: int, repo: str, seed_dir: Path | None, validate: bool) -> int:
    """Serve a stand-in GitHub REST API for PyGithub's base_url until SIGINT or SIGTERM.

    The first line of output is the base URL. Any token is accepted; requests without one get GitHub's 401.
    """
    from reconciler.sandbox.github import serve

    if validate and importlib.util.find_spec("jsonschema") is None:
        raise click.UsageError("--validate needs jsonschema (install the project's dev dependency group)")
    return serve(port=port, repo=repo, seed_dir=seed_dir, validate=validate)
