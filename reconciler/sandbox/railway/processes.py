"""Demo app processes for running deployments: start on a loopback port, probe, read counters, and always stop.

Each process leads its own process group, so stopping it also stops anything it spawned. Every live process is
in a module registry that an `atexit` hook empties, so a crashed test run leaves no demo app behind.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from reconciler.sandbox.demo_app import PROBE_HEADER

_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")
_live: set[DemoProcess] = set()
_live_lock = threading.Lock()


class DemoProcess:
    """One demo app subprocess (a resource: it must be stopped)."""

    def __init__(
        self, spec: dict[str, Any], env: dict[str, str], *, package_root: Path, start_timeout: float = 10.0
    ) -> None:
        command = [sys.executable, "-m", "reconciler.sandbox.demo_app", "--port", "0", "--spec", json.dumps(spec)]
        # Variables reach the app as its environment, as on Railway. Only what Python needs to start comes from
        # ours: the app must not inherit the emulator's own credentials.
        inherited = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        path = os.pathsep.join(filter(None, [str(package_root), os.environ.get("PYTHONPATH")]))
        child_env = {**inherited, **env, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=child_env,
            start_new_session=True,
        )
        with _live_lock:
            _live.add(self)
        self.port = self._read_port(start_timeout)

    def _read_port(self, timeout: float) -> int:
        assert self.popen.stdout is not None
        ready, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"demo app did not start (exit code {self.popen.poll()})")
        return int(line.split()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def exit_code(self) -> int | None:
        return self.popen.poll()

    def probe(self, path: str, timeout: float = 1.0) -> int | None:
        """The HTTP status of a health probe (not counted in HTTP metrics), or None if nothing answered."""
        request = urllib.request.Request(self.url + path, headers={PROBE_HEADER: "1"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (OSError, ValueError):
            return None

    def served_since(self, since: float) -> list[list[Any]]:
        """What the app served since `since`: rows of [ts, method, path, status, duration_ms]; [] if it is gone."""
        try:
            with urllib.request.urlopen(f"{self.url}/__emulator/requests?since={since}", timeout=2) as response:
                rows: list[list[Any]] = json.loads(response.read())["requests"]
                return rows
        except (OSError, ValueError, KeyError):
            return []

    def stop(self, grace: float = 2.0) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after `grace` seconds. Safe to call twice."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        else:
            # The leader exited on its own; anything it left in its group goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        with _live_lock:
            _live.discard(self)


def live_processes() -> list[DemoProcess]:
    """Demo apps started by this Python process and not yet stopped (tests assert this empties)."""
    with _live_lock:
        return list(_live)


@atexit.register
def stop_all() -> None:
    for process in live_processes():
        process.stop(grace=0.5)
