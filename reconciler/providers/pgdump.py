"""`pg_dump` and `pg_restore` as subprocesses: version checks, a guarded dump stream, and archive reads.

A dump is only good if every process in its pipeline exited 0. `DumpStream.read` therefore waits for the
processes at end of stream and raises instead of returning the final empty read when any failed, so an uploader
never mistakes a truncated stream for a finished one. Passwords travel in PGPASSWORD, never on argv.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from reconciler.errors import PermanentError, ProviderError, VerificationFailed
from reconciler.providers.postgres import split_for_subprocess

_VERSION = re.compile(r"\(PostgreSQL\)\s+((\d+)(?:\.\d+)*)")
_STDERR_TAIL = 4000


class DumpFailed(ProviderError):
    """`pg_dump` (or its compressor) exited non-zero or was killed: the stream is not a complete archive."""


@dataclass(frozen=True)
class ClientVersion:
    text: str  # "15.20"
    major: int


@dataclass(frozen=True)
class Compression:
    """How the archive is compressed: `pg_dump -Z N` (gzip, 0 = none) or an uncompressed dump piped through zstd."""

    method: str  # "zstd" | "gzip" | "none"
    level: int

    @property
    def label(self) -> str:
        return "none" if self.method == "none" else f"{self.method}:{self.level}"

    @property
    def suffix(self) -> str:
        return ".pgdump.zst" if self.method == "zstd" else ".pgdump"


def zstd_available() -> bool:
    return shutil.which("zstd") is not None


def zstd_command(compression: Compression) -> list[str]:
    """The zstd that compresses `pg_dump -Z0`'s output. At levels 1-2 one worker thread compresses ~200 MiB/s,
    twice what pg_dump produces: more threads spend the same CPU, only spread over cores that pg_dump and the
    database server want (on a 2-core machine they share them), and hold more buffers. From level 3 zstd is as
    slow as pg_dump, so it uses every core."""
    threads = 1 if compression.level <= 2 else 0
    return ["zstd", "-q", f"-{compression.level}", f"-T{threads}", "-c"]


def parse_compression(text: str | None) -> Compression:
    """`zstd[:N]`, `gzip[:N]`, `none`; None means the fastest available (zstd -1, else gzip -1)."""
    if text is None or text == "auto":
        return Compression("zstd", 1) if zstd_available() else Compression("gzip", 1)
    method, _, level_text = text.partition(":")
    if method not in ("zstd", "gzip", "none"):
        raise PermanentError(f"unknown compression {text!r}: use zstd[:LEVEL], gzip[:LEVEL] or none")
    if method == "none":
        return Compression("none", 0)
    try:
        level = int(level_text) if level_text else (1 if method == "zstd" else 6)
    except ValueError as e:
        raise PermanentError(f"compression level in {text!r} is not a number") from e
    if method == "gzip" and not 1 <= level <= 9 or method == "zstd" and not 1 <= level <= 19:
        raise PermanentError(f"compression level in {text!r} is out of range")
    if method == "zstd" and not zstd_available():
        raise PermanentError("compression zstd asked for, but no zstd program is installed")
    return Compression(method, level)


def find_tool(name: str) -> str:
    """The newest installed PostgreSQL client tool `name` (Debian keeps each major in /usr/lib/postgresql/N/bin)."""
    override = os.environ.get("RECONCILER_PG_BINDIR")
    if override and (Path(override) / name).exists():
        return str(Path(override) / name)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found is None:
        raise PermanentError(f"{name} is not installed: install the PostgreSQL client tools")
    return found


def client_version(tool: str = "pg_dump") -> ClientVersion:
    path = find_tool(tool)
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise PermanentError(f"could not run {tool} --version: {e}") from e
    match = _VERSION.search(out)
    if not match:
        raise PermanentError(f"could not read the version of {tool} from {out.strip()!r}")
    return ClientVersion(text=match.group(1), major=int(match.group(2)))


def check_client_supports(server_version_num: int, tool: str = "pg_dump") -> ClientVersion:
    """Refuse when the installed tool is older than the server's major version (pg_dump would refuse or misread)."""
    client = client_version(tool)
    server_major = server_version_num // 10000
    if client.major < server_major:
        raise PermanentError(
            f"{tool} {client.text} cannot dump a PostgreSQL {server_major} server: "
            f"install the PostgreSQL {server_major} client tools (or newer) so that {tool} >= {server_major}"
        )
    return client


def _widen_pipe(fd: int) -> None:
    """Let the dump run ahead of the uploader by up to 1 MiB (Linux pipes hold 64 KiB by default)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default size only costs some speed


class _StderrTail(threading.Thread):
    """Drains a process's stderr so it never blocks, keeping the tail for the error message."""

    def __init__(self, stream: IO[bytes] | None) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.tail = b""

    def run(self) -> None:
        assert self.stream is not None
        try:
            while chunk := self.stream.read(65536):
                self.tail = (self.tail + chunk)[-_STDERR_TAIL:]
        finally:
            self.stream.close()

    def text(self) -> str:
        self.join(timeout=5)
        return self.tail.decode("utf-8", "replace").strip()


class DumpStream:
    """A running `pg_dump -Fc` (optionally | zstd) read as a file object; hashes what it hands out.

    `read(n)` returns up to n bytes; at end of stream it waits for every process and raises DumpFailed if any
    exited non-zero, so the caller learns of a failure before it treats the stream as complete.
    """

    def __init__(self, url: str, *, snapshot: str | None, compression: Compression, extra_args: Iterable[str] = ()):
        parts = split_for_subprocess(url)
        env = {**os.environ, **parts.env}
        level = compression.level if compression.method == "gzip" else 0
        argv = [find_tool("pg_dump"), "--format=custom", f"--compress={level}", "--lock-wait-timeout=60s"]
        if snapshot:
            argv.append(f"--snapshot={snapshot}")
        argv += [*extra_args, f"--dbname={parts.conninfo}"]
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._procs: list[tuple[str, subprocess.Popen[bytes], _StderrTail]] = []
        self._finished = False
        try:
            dump = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0)
        except OSError as e:
            raise PermanentError(f"could not start pg_dump: {e}") from e
        self._procs.append(("pg_dump", dump, _StderrTail(dump.stderr)))
        out = dump.stdout
        if compression.method == "zstd":
            zstd = subprocess.Popen(
                zstd_command(compression),
                stdin=dump.stdout,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
            )
            assert dump.stdout is not None
            dump.stdout.close()  # zstd owns the read end now, so pg_dump sees EPIPE if zstd dies
            self._procs.append(("zstd", zstd, _StderrTail(zstd.stderr)))
            out = zstd.stdout
        assert out is not None
        _widen_pipe(out.fileno())
        self._out = out
        for _, _, tail in self._procs:
            tail.start()

    @property
    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc, _ in self._procs}

    def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes (fewer only at the end); b"" only once every process exited 0."""
        if self._finished:
            return b""
        chunks: list[bytes] = []
        wanted = n if n is not None and n >= 0 else 1 << 62
        got = 0
        while got < wanted:
            chunk = self._out.read(min(wanted - got, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
        if data:
            self.sha256.update(data)
            self.size += len(data)
            return data
        self._finish()
        return b""

    def _finish(self) -> None:
        failures = []
        for name, proc, tail in self._procs:
            code = proc.wait()
            if code != 0:
                reason = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
                failures.append(f"{name} failed ({reason}): {tail.text()[-1000:] or 'no message'}")
        self._out.close()
        self._finished = True
        if failures:
            raise DumpFailed("; ".join(failures))

    def kill(self) -> None:
        """Stop every process now (the upload failed); never raises."""
        for _, proc, _ in self._procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGKILL)
                except OSError:
                    pass
        for _, proc, _ in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            self._out.close()
        except OSError:
            pass
        self._finished = True


@dataclass(frozen=True)
class ArchiveRead:
    sha256: str
    size: int


def _restore_pipeline(
    restore_args: list[str], compression: Compression, env: dict[str, str] | None = None
) -> list[tuple[str, subprocess.Popen[bytes], _StderrTail]]:
    procs: list[tuple[str, subprocess.Popen[bytes], _StderrTail]] = []
    full_env = {**os.environ, **(env or {})}
    if compression.method == "zstd":
        unzstd = subprocess.Popen(
            ["zstd", "-q", "-d", "-c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        restore = subprocess.Popen(
            [find_tool("pg_restore"), *restore_args],
            stdin=unzstd.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        assert unzstd.stdout is not None
        unzstd.stdout.close()
        procs = [("zstd -d", unzstd, _StderrTail(unzstd.stderr)), ("pg_restore", restore, _StderrTail(restore.stderr))]
    else:
        restore = subprocess.Popen(
            [find_tool("pg_restore"), *restore_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        procs = [("pg_restore", restore, _StderrTail(restore.stderr))]
    for _, _, tail in procs:
        tail.start()
    return procs


def _feed(
    chunks: Iterable[bytes], procs: list[tuple[str, subprocess.Popen[bytes], _StderrTail]], what: str
) -> ArchiveRead:
    """Write the archive into the first process, hashing it; fail with every process's complaint."""
    sha = hashlib.sha256()
    size = 0
    stdin = procs[0][1].stdin
    assert stdin is not None
    broken = False
    try:
        for chunk in chunks:
            sha.update(chunk)
            size += len(chunk)
            if not broken:
                try:
                    stdin.write(chunk)
                except BrokenPipeError:
                    broken = True  # keep hashing; the exit status below says why it stopped
    finally:
        try:
            stdin.close()
        except BrokenPipeError:
            pass
        failures = []
        for name, proc, tail in procs:
            code = proc.wait()
            if code != 0:
                failures.append(f"{name} exited {code}: {tail.text()[-1000:] or 'no message'}")
    if failures:
        raise VerificationFailed(f"{what}: " + "; ".join(failures))
    return ArchiveRead(sha256=sha.hexdigest(), size=size)


def read_archive(chunks: Iterable[bytes], compression: Compression, what: str) -> ArchiveRead:
    """Read the whole archive with `pg_restore -f /dev/null` (`--list` alone misses truncation), hashing it."""
    return _feed(chunks, _restore_pipeline(["--file=/dev/null"], compression), what)


def restore_archive(
    chunks: Iterable[bytes], compression: Compression, url: str, what: str, *, replace: bool = False
) -> ArchiveRead:
    """Restore the archive into the database at `url`, stopping at the first error.

    With `replace`, existing objects are dropped first (`--clean --if-exists`) and everything runs in one
    transaction, so a failed restore leaves the database as it was.
    """
    parts = split_for_subprocess(url)
    args = ["--no-owner", "--no-acl", "--exit-on-error", f"--dbname={parts.conninfo}"]
    if replace:
        args += ["--clean", "--if-exists", "--single-transaction"]
    return _feed(chunks, _restore_pipeline(args, compression, parts.env), what)
