"""`reconciler sandbox github`: prints its base URL first, serves the seeded repository, stops cleanly on signals."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import main

pytestmark = pytest.mark.integration  # a real loopback socket

TOKEN = "ghs_plantedCommandToken0123456789"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    seed = tmp_path / "seed"
    (seed / "desired-state").mkdir(parents=True)
    (seed / "desired-state" / "production.yaml").write_text("environment: production\n")
    (seed / ".git").mkdir()
    (seed / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "github", "--repo", "acme/infra", "--seed-dir", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        yield process, first
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def _get(base_url: str, path: str) -> tuple[int, dict[str, object]]:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_prints_its_url_first_serves_the_seed_and_stops_on_a_signal(
    server: tuple[subprocess.Popen[str], str], signum: int
) -> None:
    process, first_line = server
    assert first_line.startswith("http://127.0.0.1:")
    status, body = _get(first_line, "/repos/acme/infra/contents/desired-state/production.yaml")
    assert status == 200
    assert base64.b64decode(str(body["content"])) == b"environment: production\n"
    assert _get(first_line, "/repos/acme/infra/contents/.git/HEAD")[0] == 404
    process.send_signal(signum)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == ""  # only the URL line, already read
    assert "serving acme/infra" in err
    assert TOKEN not in out + err


def test_a_malformed_repo_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "github", "--repo", "no-slash"]) == 1
    assert "Invalid value for '--repo': must be OWNER/NAME, e.g. fixia/infra" in capsys.readouterr().err


def test_the_command_has_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "github", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert "The first line of output is the base URL." in result.stdout
