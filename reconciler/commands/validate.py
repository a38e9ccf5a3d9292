"""`reconciler validate [PATH]`: check the desired state and summarise each environment."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.errors import InvalidInput


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("desired-state"), required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Summary as readable text, or as JSON on stdout (problems too).",
)
def validate(path: Path, output_format: str) -> int:
    """Check the desired state in PATH (a directory or one file; default desired-state/).

    Every problem in every file is printed as FILE:LINE:COL: message, and the exit code is 1.
    On success, prints a summary of each environment.
    """
    from reconciler.desired.load import load_desired_state
    from reconciler.desired.summary import summary_json, summary_text

    try:
        state = load_desired_state(path)
    except InvalidInput as invalid:
        if output_format == "json":
            problems = [vars(problem) for problem in invalid.problems]
            click.echo(json.dumps({"valid": False, "problems": problems}, indent=2))
        raise
    if output_format == "json":
        click.echo(json.dumps(summary_json(state), indent=2))
    else:
        click.echo(summary_text(state), nl=False)
    return 0
