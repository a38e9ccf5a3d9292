"""`reconciler environments`: the environments declared in desired-state/, as a job matrix for workflows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.commands.options import desired_argument, format_option

if TYPE_CHECKING:
    from reconciler.desired.model import DesiredState


def environment_matrix(state: DesiredState) -> dict[str, list[dict[str, Any]]]:
    """`{"include": [...]}`, one entry per environment, promotion sources first (staging before production).

    The shape GitHub's `strategy.matrix: ${{ fromJSON(…) }}` takes as is; each entry has `environment`.
    """
    return {
        "include": [
            {
                "environment": name,
                "file": state.source_of(name).as_posix(),
                "promotion_from": state[name].promotion_source,
            }
            for name in state.promotion_order()
        ]
    }


@click.command()
@desired_argument()
@format_option(["text", "json"], "One name per line, or the JSON job matrix.")
@click.option(
    "--output",
    "output_name",
    metavar="NAME",
    help="Also set the step output NAME to the JSON matrix (under GitHub Actions).",
)
def environments(path: Path, output_format: str, output_name: str | None) -> int:
    """List the environments declared in PATH (default desired-state/), promotion sources first.

    With --format json, prints {"include": [{"environment": …, "file": …, "promotion_from": …}]}, which a
    workflow passes to strategy.matrix with fromJSON to run one job per environment.
    """
    from reconciler import actions
    from reconciler.desired.load import load_desired_state

    matrix = environment_matrix(load_desired_state(path))
    as_json = json.dumps(matrix, separators=(",", ":"))
    if output_format == "json":
        click.echo(as_json)
    else:
        for entry in matrix["include"]:
            source = entry["promotion_from"]
            click.echo(entry["environment"] + (f"  (promotes from {source})" if source else ""))
    if output_name:
        actions.set_output(output_name, as_json)
    return 0
