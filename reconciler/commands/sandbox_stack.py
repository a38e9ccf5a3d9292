"""`reconciler sandbox up|status|down`: every stand-in at once, detached, for `eval "$(reconciler sandbox up)"`."""

from __future__ import annotations

from pathlib import Path

import click

STATE_DIR = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".sandbox"),
    show_default=True,
    help="Where the running sandbox keeps its state file, pids and log.",
)


@click.command("up")
@STATE_DIR
@click.option(
    "--desired",
    type=click.Path(path_type=Path),
    default=Path("desired-state"),
    show_default=True,
    help="Desired state to seed Railway and GitHub from.",
)
@click.option("--no-processes", is_flag=True, help="Do not start a demo app process per Railway deployment.")
def up(state_dir: Path, desired: Path, no_processes: bool) -> int:
    """Start PostgreSQL, S3 (SeaweedFS), the Railway emulator and the GitHub stand-in in the background.

    Railway is seeded from the desired state with older versions running and one field drifted; S3 holds backups
    of different ages. Prints `export NAME=value` lines for every endpoint and made-up credential, so that
    `eval "$(reconciler sandbox up)"` points plan, drift and backup at the sandbox. Running it again reprints them.
    """
    from reconciler.sandbox.stack import exports_text
    from reconciler.sandbox.stack import up as start

    state = start(state_dir, desired, processes=not no_processes)
    click.echo(exports_text(state["exports"]), nl=False)
    click.echo(f"# sandbox running (supervisor pid {state['pid']}); stop it with: reconciler sandbox down", err=True)
    return 0


@click.command("status")
@STATE_DIR
def status(state_dir: Path) -> int:
    """Show whether the sandbox runs, and each stand-in's address and process. Exit 1 when it is not running."""
    from reconciler.sandbox.stack import status as inspect

    text, running = inspect(state_dir)
    click.echo(text, nl=False)
    return 0 if running else 1


@click.command("down")
@STATE_DIR
def down(state_dir: Path) -> int:
    """Stop every sandbox process; no process or port is left behind."""
    from reconciler.sandbox.stack import down as stop

    click.echo(stop(state_dir), nl=False)
    return 0
