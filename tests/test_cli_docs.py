"""Every command has help text, every option says what it does, and every command is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from reconciler.cli import COMMANDS, SANDBOX_COMMANDS, LazyGroup, main, root

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
ALL = [(name,) for name in sorted(COMMANDS)] + [("sandbox", name) for name in sorted(SANDBOX_COMMANDS)]


def _command(path: tuple[str, ...]) -> click.Command:
    group: click.Command = root
    context = click.Context(root)
    for name in path:
        assert isinstance(group, LazyGroup)
        found = group.get_command(context, name)
        assert found is not None, f"{' '.join(path)} is registered but not found"
        group = found
    return group


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_every_command_and_option_has_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    command = _command(path)
    assert (command.help or "").strip(), f"reconciler {' '.join(path)} has no help text"
    for parameter in command.params:
        if isinstance(parameter, click.Option) and parameter.name != "help":
            assert (parameter.help or "").strip(), f"reconciler {' '.join(path)} {parameter.opts[0]} has no help"
    assert main([*path, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"Usage: reconciler {' '.join(path)} ")


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_every_command_appears_in_the_readme(path: tuple[str, ...]) -> None:
    words = r"\s+".join(re.escape(word) for word in path)
    assert re.search(rf"reconciler\s+{words}\b", README), f"README.md does not mention `reconciler {' '.join(path)}`"
