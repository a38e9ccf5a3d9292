"""`reconciler schema`: print the JSON Schema of a desired-state file (committed as desired-state/schema.json)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the schema to this file instead of stdout.",
)
def schema(output: Path | None) -> int:
    """Print the JSON Schema of one environment file, for editors and other tools."""
    from reconciler.desired.schema import schema_text

    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    return 0
