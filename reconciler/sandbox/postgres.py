"""A PostgreSQL server for the sandbox and the tests: the given URL when it answers, else a throwaway cluster.

The throwaway cluster is made with the installed binaries (/usr/lib/postgresql/*/bin: initdb, pg_ctl) in a
temporary directory, listens on a free 127.0.0.1 port with trust authentication, and is removed when stopped.
initdb refuses to run as root, so under root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from reconciler.errors import PermanentError, TemporaryError
from reconciler.providers.postgres import is_reachable
from reconciler.sandbox.s3 import free_ports

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_binary(name: str) -> str:
    """The newest installed server binary `name` (initdb, pg_ctl, postgres)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return str(found[-1])
    path = shutil.which(name)
    if path is None:
        raise PermanentError(f"PostgreSQL server binaries are not installed ({name} not found)")
    return path


class PostgresCluster:
    """A throwaway PostgreSQL cluster; `url` connects as superuser `postgres` to database `postgres`."""

    def __init__(self) -> None:
        self.port = 0
        self._dir: str | None = None
        self._as: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        try:
            subprocess.run(list(argv), check=True, capture_output=True, timeout=120, **self._as)
        except subprocess.CalledProcessError as e:
            detail = (e.stderr or b"").decode(errors="replace").strip()[-1500:]
            raise TemporaryError(f"{Path(argv[0]).name} failed: {detail}") from e
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TemporaryError(f"{Path(argv[0]).name} failed: {e}") from e

    def start(self) -> PostgresCluster:
        self._dir = tempfile.mkdtemp(prefix="reconciler-pg-")
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self._dir, account.pw_uid, account.pw_gid)
            self._as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        data = f"{self._dir}/data"
        self.port = free_ports(1)[0]
        try:
            self._run(server_binary("initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
            options = (
                f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off"
            )
            self._run(server_binary("pg_ctl"), "-D", data, "-o", options, "-l", f"{self._dir}/log", "-w", "start")
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
                self._run(server_binary("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
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


@contextmanager
def postgres_server(url: str | None = None) -> Iterator[str]:
    """A server URL: `url`, else $DATABASE_URL, else the local default, if it answers; else a throwaway cluster."""
    candidate = url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if is_reachable(candidate):
        yield candidate
        return
    with PostgresCluster() as cluster:
        yield cluster.url
