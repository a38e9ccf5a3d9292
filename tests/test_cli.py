"""The command line's conventions: version, help, usage errors and exit codes."""

from __future__ import annotations

import pytest

from reconciler import __version__
from reconciler.cli import main


def test_version_prints_name_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"reconciler {__version__}\n"


def test_mistyped_flag_exits_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-such-flag"]) == 1
    assert "Error: No such option '--no-such-flag'." in capsys.readouterr().err


def test_unknown_command_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 1
    assert "No such command 'frobnicate'" in capsys.readouterr().err
