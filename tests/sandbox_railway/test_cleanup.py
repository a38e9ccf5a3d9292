"""Demo apps never outlive their emulator: not after a failing test, not at interpreter exit, not after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def demo_apps_with(marker: str) -> list[int]:
    """Pids of running demo apps whose command line carries `marker` (their image tag)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"reconciler.sandbox.demo_app" in command and marker.encode() in command and state != "Z":
            found.append(int(entry.name))
    return found


def wait_until_gone(marker: str, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while demo_apps_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return demo_apps_with(marker)


def seed_source(marker: str) -> str:
    return textwrap.dedent(f"""
        SEED = {{"projects": [{{"name": "p", "services": ["api"], "environments": [{{"name": "e", "services": {{
            "api": {{"source": {{"image": "ghcr.io/x/api:{marker}"}}}}}}}}]}}]}}
    """)


@pytest.mark.slow
def test_a_failing_test_leaves_no_demo_app_behind(tmp_path: Path) -> None:
    marker = f"m{uuid.uuid4().hex[:12]}"
    test_file = tmp_path / "test_fails.py"
    test_file.write_text(
        seed_source(marker)
        + textwrap.dedent("""
        from reconciler.sandbox.railway import live_processes

        def test_fails(make_railway_server):
            server = make_railway_server(SEED)
            assert len(live_processes()) == 1
            assert False, "this test fails on purpose"
    """)
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.fixtures.railway",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(test_file),
        ],  # fmt: skip
        cwd=REPO,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 1, result.stdout.decode()[-2000:]
    assert b"this test fails on purpose" in result.stdout
    # Checked at once: the finalizer stopped the app before pytest exited (the orphan watch would take longer).
    assert demo_apps_with(marker) == []


@pytest.mark.slow
def test_an_emulator_never_stopped_is_cleaned_up_at_interpreter_exit() -> None:
    marker = f"m{uuid.uuid4().hex[:12]}"
    script = seed_source(marker) + textwrap.dedent("""
        from reconciler.sandbox.railway import Emulator, EmulatorServer, live_processes
        EmulatorServer(Emulator(SEED)).start()
        assert len(live_processes()) == 1
        print("started", flush=True)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, timeout=120)
    assert result.stdout == b"started\n", result.stderr.decode()[-2000:]
    # Checked at once: the atexit hook stopped the app before the interpreter exited.
    assert demo_apps_with(marker) == []


@pytest.mark.slow
def test_demo_apps_exit_when_the_emulator_is_killed() -> None:
    marker = f"m{uuid.uuid4().hex[:12]}"
    script = seed_source(marker) + textwrap.dedent("""
        import time
        from reconciler.sandbox.railway import Emulator, EmulatorServer
        EmulatorServer(Emulator(SEED)).start()
        print("started", flush=True)
        time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdout.readline() == b"started\n"
        assert len(demo_apps_with(marker)) == 1
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert wait_until_gone(marker) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
