"""`reconciler plan`: show what would change, as text, markdown or JSON; on a PR, the sticky comment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.commands.options import desired_option, environments_option, format_option


@click.command()
@environments_option("Plan only this environment (repeatable). Default: all.")
@format_option(
    ["text", "markdown", "json"], "Output format; json follows docs/plan.schema.json (format_version 1).", dest="output"
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes (0 none, 1 error), like terraform plan.",
)
@desired_option()
def plan(environments: tuple[str, ...], output: str, detailed_exitcode: bool, path: Path) -> int:
    """Compare git's desired state with what is live and show the changes, their gates and their risk.

    Read-only. Under GitHub Actions it also writes the job summary and, on a pull request, posts or edits one
    sticky plan comment. A provider that cannot be reached fails the plan (exit 1); it never looks like no changes.
    """
    from reconciler.planning import plan_command

    # Colour only for a person at a terminal; NO_COLOR (no-color.org) turns it off there too.
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    result = plan_command(path, environments, output, detailed_exitcode=detailed_exitcode, color=color)
    click.echo(result.text, nl=False)
    if result.message:
        click.echo(result.message, err=True)
    return result.exit_code
