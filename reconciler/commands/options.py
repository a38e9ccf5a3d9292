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
