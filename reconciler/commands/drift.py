"""`reconciler drift`: compare live with git and act per field policy (report in an issue, adopt by PR, correct)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.commands.options import desired_option, environments_option


@click.command()
@environments_option("Check only this environment (repeatable). Default: all.")
@desired_option()
def drift(environments: tuple[str, ...], path: Path) -> int:
    """Find fields whose live value differs from git and handle each by its drift policy.

    report: one issue per environment, edited in place and closed when the drift is gone. adopt: one pull request
    per environment that writes the live values into the desired-state file, changing only those lines. correct:
    listed as an intended correction that apply carries out. Nothing drifted and no issue open: no GitHub writes.
    """
    from reconciler.drift import drift_command

    text, code = drift_command(path, environments)
    click.echo(text, nl=False)
    return code
