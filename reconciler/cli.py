"""The command line: a thin click layer that parses, calls one function per command, and maps errors to exits.

Commands are imported lazily, by name, so that `reconciler validate` never pays for boto3, PyGithub or psycopg.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from reconciler import __version__
from reconciler.errors import ChangesPresent, ExitCode, InvalidInput, ReconcilerError, exit_code_for

# name -> "module:attribute" of a click command. One line per command; the module owns the rest.
COMMANDS: dict[str, str] = {
    "drift": "reconciler.commands.drift:drift",
    "environments": "reconciler.commands.environments:environments",
    "backup": "reconciler.commands.backup:backup",
    "plan": "reconciler.commands.plan:plan",
    "sandbox": "reconciler.cli:sandbox",
    "schema": "reconciler.commands.schema:schema",
    "validate": "reconciler.commands.validate:validate",
}

SANDBOX_COMMANDS: dict[str, str] = {
    "down": "reconciler.commands.sandbox_stack:down",
    "status": "reconciler.commands.sandbox_stack:status",
    "up": "reconciler.commands.sandbox_stack:up",
    "github": "reconciler.commands.sandbox_github:sandbox_github",
    "railway": "reconciler.commands.sandbox_railway:sandbox_railway",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when they are invoked or listed."""

    def __init__(self, *args: object, registry: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.registry = registry

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.registry)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.registry.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=LazyGroup, registry=COMMANDS, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="reconciler", message="%(prog)s %(version)s")
def root() -> None:
    """Keep Railway apps, their PostgreSQL database and S3 backups in the state that git declares."""


@root.group(cls=LazyGroup, registry=SANDBOX_COMMANDS)
def sandbox() -> None:
    """Run local stand-ins for Railway, GitHub, S3 and PostgreSQL on loopback."""


def report_problems(error: InvalidInput) -> None:
    """Print each problem as FILE:LINE:COL: message; under GitHub Actions, also as an error annotation."""
    from reconciler import actions

    for problem in error.problems:
        click.echo(str(problem), err=True)
        actions.error_annotation(problem)
    count = len(error.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; the only place that turns errors into exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = root.main(args=args, prog_name="reconciler", standalone_mode=False)
    except click.exceptions.Exit as done:  # --help, --version
        return done.exit_code
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as usage:
        usage.show()
        return ExitCode.FAILURE
    except InvalidInput as invalid:
        report_problems(invalid)
        return invalid.exit_code
    except ChangesPresent as changes:
        return changes.exit_code
    except ReconcilerError as failure:
        click.echo(f"error: {failure}", err=True)
        return failure.exit_code
    except KeyboardInterrupt as interrupt:
        click.echo("Interrupted.", err=True)
        return exit_code_for(interrupt)
    except Exception as bug:
        click.echo("reconciler: internal error (this is a bug; please report it):", err=True)
        import traceback  # only on the way out of a bug: it costs start-up time for every command

        click.echo("".join(traceback.format_exception(bug)), err=True)
        return exit_code_for(bug)
    return int(result or 0)
