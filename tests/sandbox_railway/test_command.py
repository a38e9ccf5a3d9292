"""`reconciler sandbox railway`: URL first, serves until SIGTERM, leaves no process behind, never prints secrets."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.cli import main
from tests.fixtures.railway import RAILWAY_SEED

PLANTED_TOKEN = "planted-token-5f2c9e1a"


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may contain spaces: the ppid follows the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def command(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(RAILWAY_SEED))
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "railway", "--port", "0", "--seed", str(seed), "--fast"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def first_line(process: subprocess.Popen[bytes], timeout: float = 30) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "no output from the command"
    return process.stdout.readline().decode().strip()


@pytest.mark.slow
def test_it_prints_the_url_first_serves_and_stops_on_sigterm_leaving_no_child(
    command: subprocess.Popen[bytes],
) -> None:
    url = first_line(command)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/graphql/v2")
    response = httpx.post(
        url,
        json={"query": '{ variables(projectId: "proj-fixia", environmentId: "env-prod", serviceId: "svc-api") }'},
        headers={"Authorization": f"Bearer {PLANTED_TOKEN}"},
    )
    assert response.json()["data"]["variables"]["JWT_SECRET"] == "jwt-secret-value"
    apps = children_of(command.pid)
    assert len(apps) == 2  # the demo apps of api and web in production
    command.send_signal(signal.SIGTERM)
    assert command.wait(timeout=20) == 0
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in apps) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in apps)
    assert command.stdout is not None and command.stderr is not None
    output = command.stdout.read() + command.stderr.read()
    assert PLANTED_TOKEN.encode() not in output
    assert b"jwt-secret-value" not in output


@pytest.mark.slow
def test_sigint_also_stops_it_cleanly(command: subprocess.Popen[bytes]) -> None:
    first_line(command)
    command.send_signal(signal.SIGINT)
    assert command.wait(timeout=20) == 0


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("projects:\n  - name: p\n    colour: blue\n", "0:0", "projects[0]: unknown keys ['colour']"),
        ("projects:\n  - name: [unclosed\n", "3:1", "invalid YAML: expected ',' or ']'"),
        ("behaviours:\n  '1.0.0': sleepy\n", "0:0", "behaviours.1.0.0: unknown behaviour 'sleepy'"),
    ],
)
def test_a_bad_seed_is_one_clear_message_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, message: str
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    assert main(["sandbox", "railway", "--seed", str(seed)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{seed}:{where}: {message}")
    assert "Traceback" not in captured.err


def test_a_port_in_use_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "railway", "--port", str(port)]) == 1
    assert capsys.readouterr().err == f"error: cannot serve on 127.0.0.1:{port}: Address already in use\n"
