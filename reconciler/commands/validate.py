"""`reconciler validate [PATH]`: check the desired state and summarise each environment."""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from reconciler.commands.options import desired_argument, environments_option, format_option
from reconciler.errors import InvalidInput


@click.command()
@desired_argument()
@format_option(["text", "json"], "Summary as readable text, or as JSON on stdout (problems too).")
@environments_option("Summarise only this environment (repeatable). Every file is still checked.")
def validate(path: Path, output_format: str, environments: tuple[str, ...]) -> int:
    """Check the desired state and print a summary of each environment.

    PATH is a directory of environment files (default: desired-state) or one file. Every problem in every file
    is printed as FILE:LINE:COL: message, all at once, and the exit code is 1.
    """
    _skip_exit_collection()
    try:
        with _no_collections():
            from reconciler.desired.load import load_desired_state
            from reconciler.desired.summary import summary_json, summary_text

            state = load_desired_state(path)
    except InvalidInput as invalid:
        if output_format == "json":
            problems = [vars(problem) for problem in invalid.problems]
            _echo_json({"valid": False, "problems": problems})
        raise
    unknown = [name for name in environments if name not in state.environments]
    if unknown:
        known = ", ".join(state.names())
        raise click.BadParameter(
            f"no environment named '{unknown[0]}' (environments: {known})", param_hint="'--environment'"
        )
    if output_format == "json":
        _echo_json(summary_json(state, environments))
    else:
        click.echo(summary_text(state, environments), nl=False)
    return 0


@contextmanager
def _no_collections() -> Iterator[None]:
    """Pause the cyclic garbage collector while validate imports pydantic, builds the models and loads the files.

    That allocates tens of thousands of objects that nearly all live on, and the collector would trace them again
    and again (dozens of passes) to free next to nothing. Afterwards they go, untraced, to the oldest generation
    (gc.freeze then gc.unfreeze), where full collections still see them: a caller that runs on (a test process)
    loses nothing. If anyone froze objects before, they stay frozen: nothing is moved then.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _skip_exit_collection() -> None:
    """Have the interpreter's exit skip its garbage-collector passes over what validate loaded.

    At exit CPython traces every object still alive for cycles (tens of milliseconds once pydantic and our models
    are loaded), only to free memory the operating system takes back anyway. gc.freeze at exit, and only then, so
    nothing changes while any caller (a test process, say) runs: atexit handlers, finalizers by reference
    counting and the flushing of stdout and stderr all still happen.
    """
    atexit.unregister(gc.freeze)  # once, however many times validate runs in one process
    atexit.register(gc.freeze)


def _echo_json(data: object) -> None:
    import json  # only here: the text path (the common one) does not need it

    click.echo(json.dumps(data, indent=2))
