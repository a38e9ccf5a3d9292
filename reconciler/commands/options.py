"""Options that several commands share, spelled once so that every command reads them the same way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DESIRED = Path("desired-state")


def environments_option(help: str) -> Callable[[F], F]:
    """`-e/--environment NAME`, repeatable, passed as `environments: tuple[str, ...]` (empty: all)."""
    return click.option("--environment", "-e", "environments", multiple=True, metavar="NAME", help=help)


def desired_option(help: str = "Desired-state directory or file.") -> Callable[[F], F]:
    """`--desired PATH`, passed as `path: Path`, defaulting to desired-state/."""
    return click.option(
        "--desired", "path", type=click.Path(path_type=Path), default=DEFAULT_DESIRED, show_default=True, help=help
    )


def desired_argument() -> Callable[[F], F]:
    """An optional `PATH` argument, passed as `path: Path`, defaulting to desired-state/."""
    return click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_DESIRED, required=False)


def format_option(choices: list[str], help: str, dest: str = "output_format") -> Callable[[F], F]:
    """`--format CHOICE`, the first choice the default."""
    return click.option("--format", dest, type=click.Choice(choices), default=choices[0], show_default=True, help=help)
