"""Throwaway PostgreSQL clusters started from the installed server binaries.

A full backup verification restores into one of these (so a test copy never lands on a real server unless the
operator asks), and the sandbox and tests use them when no server answers. The cluster lives in a temporary
directory (`$TMPDIR`), listens on a free 127.0.0.1 port with trust authentication and no durability (fsync off:
its data is thrown away), and is deleted when stopped. initdb refuses to run as root, so under root the cluster
runs as the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from reconciler.errors import PermanentError, TemporaryError

_PGLIB = Path("/usr/lib/postgresql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def installed_servers() -> dict[int, Path]:
    """Installed server majors and their bin directories: Debian's /usr/lib/postgresql/N/bin, else initdb on PATH."""
    found: dict[int, Path] = {}
    for initdb in _PGLIB.glob("*/bin/initdb"):
        major = initdb.parent.parent.name
        if major.isdigit() and (initdb.parent / "pg_ctl").exists():
            found[int(major)] = initdb.parent
    on_path = shutil.which("initdb")
    if on_path:
        try:
            out = subprocess.run([on_path, "--version"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        match = _VERSION.search(out)
        if match:
            found.setdefault(int(match.group(1)), Path(on_path).resolve().parent)
    return found


def server_bindir(min_major: int = 0) -> tuple[int, Path]:
    """The newest installed server (major, bin directory), which must be at least `min_major`."""
    servers = installed_servers()
    if not servers:
        raise PermanentError(
            "PostgreSQL server binaries are not installed (no initdb): install the postgresql package"
            + (f" (major {min_major} or newer)" if min_major else "")
        )
    major = max(servers)
    if major < min_major:
        have = ", ".join(str(m) for m in sorted(servers))
        raise PermanentError(
            f"no installed PostgreSQL server is major {min_major} or newer (installed: {have}): install"
            f" postgresql-{min_major} (or newer) for the throwaway cluster"
        )
    return major, servers[major]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """A throwaway cluster of the newest installed major >= `min_major`; `url` connects as superuser `postgres`."""

    def __init__(self, min_major: int = 0) -> None:
        self.min_major = min_major
        self.major = 0
        self.port = 0
        self._bindir: Path | None = None
        self._dir: str | None = None
        self._as: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, name: str, *args: str) -> None:
        assert self._bindir is not None
        try:
            subprocess.run([str(self._bindir / name), *args], check=True, capture_output=True, timeout=120, **self._as)
        except subprocess.CalledProcessError as e:
            detail = (e.stderr or b"").decode(errors="replace").strip()[-1500:]
            raise TemporaryError(f"{name} failed: {detail}") from e
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TemporaryError(f"{name} failed: {e}") from e

    def start(self) -> PostgresCluster:
        self.major, self._bindir = server_bindir(self.min_major)
        self._dir = tempfile.mkdtemp(prefix="reconciler-pg-")
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self._dir, account.pw_uid, account.pw_gid)
            self._as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        data = f"{self._dir}/data"
        self.port = free_port()
        try:
            self._run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
            options = (
                f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off"
            )
            self._run("pg_ctl", "-D", data, "-o", options, "-l", f"{self._dir}/log", "-w", "start")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server immediately and delete the cluster; safe to call twice."""
        if self._dir is None:
            return
        data = f"{self._dir}/data"
        if Path(data, "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
            except TemporaryError:
                pass
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
