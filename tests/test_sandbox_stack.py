"""`reconciler sandbox up|status|down`: a detached sandbox that the ordinary commands use through its exports."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.sandbox.stack import alive, port_open, read_state

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]


def parse_exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        assert line.startswith("export "), line
        name, _, value = line[len("export ") :].partition("=")
        found[name] = shlex.split(value)[0] if value else ""
    return found


def test_up_exports_status_plan_drift_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "desired-state", tmp_path / "desired-state")
    monkeypatch.chdir(tmp_path)
    state_dir = tmp_path / ".sandbox"
    try:
        assert main(["sandbox", "up", "--no-processes", "--state-dir", str(state_dir)]) == 0
        exports = parse_exports(capsys.readouterr().out)
        assert {
            "RAILWAY_API_URL",
            "RAILWAY_API_TOKEN",
            "DATABASE_URL",
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_API_URL",
            "GITHUB_REPOSITORY",
            "GITHUB_TOKEN",
        } <= set(exports)

        # A second `up` finds the running sandbox and prints the same exports.
        assert main(["sandbox", "up", "--state-dir", str(state_dir)]) == 0
        assert parse_exports(capsys.readouterr().out) == exports

        assert main(["sandbox", "status", "--state-dir", str(state_dir)]) == 0
        status = capsys.readouterr().out
        assert status.startswith("sandbox: running")
        assert status.count(" up ") == 4

        for name, value in exports.items():
            monkeypatch.setenv(name, value)
        assert main(["plan", "--detailed-exitcode"]) == 2
        plan = capsys.readouterr().out
        assert "~ production/api/version: 1.4.1 -> 1.4.2" in plan
        assert "~ production/web/healthcheck.timeout: 60 -> 120" in plan
        assert "~ staging/backups/freshness: 1d6h old -> verified, at most 1d2h old" in plan

        assert main(["drift", "-e", "production"]) == 0
        assert "production: drift issue #1 created" in capsys.readouterr().out
    finally:
        state = read_state(state_dir)
        assert main(["sandbox", "down", "--state-dir", str(state_dir)]) == 0
    assert capsys.readouterr().out == "sandbox: stopped\n"
    assert state is not None
    assert not alive(int(state["pid"]))
    for component in state["components"]:
        if component.get("pid"):
            assert not alive(int(component["pid"])), component
        if not component.get("external"):
            assert not port_open(component["url"]), component
    assert main(["sandbox", "status", "--state-dir", str(state_dir)]) == 1
    assert os.listdir(state_dir) == ["stack.log"]
