"""The sandbox assembled: every stand-in in one detached supervisor process, started, inspected and stopped.

`up` starts `python -m reconciler.sandbox.stack serve` in its own session (so it outlives the shell command) and
waits until it has written `.sandbox/state.json`; that process runs PostgreSQL (the given server or a throwaway
cluster, with a database of its own), SeaweedFS with backups of different ages, the Railway emulator seeded from
`desired-state/` (older versions running, one field drifted), and the GitHub stand-in, until SIGTERM. `down`
sends SIGTERM to that one process (its pid is in the state file), waits until every port is closed, and removes
the state. Nothing here prints secrets: every credential is made up for the sandbox.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError

STATE_FILE = "state.json"
LOG_FILE = "stack.log"
PID_FILE = "supervisor.pid"
SANDBOX_REPO = "fixia/infra"
SANDBOX_DATABASE = "reconciler_sandbox"
# Made-up credentials: the stand-ins accept any token; these only have to look like the real thing's shape.
RAILWAY_TOKEN = "sandbox-railway-token"
GITHUB_TOKEN = "sandbox-github-token"
OLDER = "1.4.1"


class SandboxError(ReconcilerError):
    """The sandbox could not be started, inspected or stopped."""


@dataclass(frozen=True)
class Component:
    name: str
    url: str
    pid: int | None


def _state_path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def read_state(state_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(_state_path(state_dir).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists"; reap it so it does not count as running.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def port_open(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def exports_text(exports: dict[str, str]) -> str:
    import shlex

    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(exports.items()))


# -- the commands' side -------------------------------------------------------------------------------------------


def up(state_dir: Path, desired: Path, *, timeout: float = 120.0, processes: bool = True) -> dict[str, Any]:
    """Start the sandbox (or find it running) and return its state: exports and components."""
    state = read_state(state_dir)
    if state is not None and alive(int(state["pid"])):
        return state
    state_dir.mkdir(parents=True, exist_ok=True)
    _state_path(state_dir).unlink(missing_ok=True)
    log = open(state_dir / LOG_FILE, "ab")  # noqa: SIM115 - handed to the child
    argv = [sys.executable, "-m", "reconciler.sandbox.stack", "serve", str(state_dir.resolve()), str(desired.resolve())]
    if not processes:
        argv.append("--no-processes")
    try:
        # The launcher forks the supervisor into its own session and exits at once (see `_daemonize`).
        launcher = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
        )
        launcher.wait(timeout=60)
    finally:
        log.close()
    deadline = time.monotonic() + timeout
    pid_file = state_dir / PID_FILE
    while time.monotonic() < deadline:
        state = read_state(state_dir)
        if state is not None and state.get("ready"):
            return state
        pid = _read_pid(pid_file)
        if launcher.returncode != 0 or (pid is not None and not alive(pid)):
            raise SandboxError(f"the sandbox stopped while starting:\n{log_tail(state_dir)}")
        time.sleep(0.2)
    pid = _read_pid(pid_file)
    if pid is not None and alive(pid):
        os.kill(pid, signal.SIGTERM)
    raise SandboxError(f"the sandbox did not start within {timeout:.0f}s:\n{log_tail(state_dir)}")


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _daemonize(state_dir: Path) -> None:
    """Fork; the parent (the launcher `up` waits for) exits, the child leads a new session and records its pid."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    (state_dir / PID_FILE).write_text(f"{os.getpid()}\n")


def log_tail(state_dir: Path, lines: int = 20) -> str:
    try:
        return "\n".join((state_dir / LOG_FILE).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def status(state_dir: Path) -> tuple[str, bool]:
    """A table of what runs where, and whether the sandbox is up."""
    state = read_state(state_dir)
    if state is None:
        return "sandbox: not running\n", False
    pid = int(state["pid"])
    running = alive(pid)
    lines = [f"sandbox: {'running' if running else 'NOT running (stale state)'}, supervisor pid {pid}, {state_dir}"]
    for item in state.get("components", []):
        answering = "up" if running and port_open(item["url"]) else "down"
        pid_text = f"pid {item['pid']}" if item.get("pid") else "in supervisor"
        if item.get("external"):
            pid_text = f"external server; database {SANDBOX_DATABASE}"
        lines.append(f"  {item['name']:<10} {answering:<5} {item['url']}  ({pid_text})")
    return "\n".join(lines) + "\n", running


def down(state_dir: Path, *, timeout: float = 30.0) -> str:
    """Stop the sandbox; afterwards none of its processes or ports remain."""
    state = read_state(state_dir)
    if state is None:
        return "sandbox: not running\n"
    pid = int(state["pid"])
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(pid):
            # The supervisor is stuck: end its whole session (it and the processes it started, nothing else).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    for item in state.get("components", []):
        child = item.get("pid")
        if child and alive(int(child)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(child), signal.SIGKILL)
    ours = [c for c in state.get("components", []) if not c.get("external")]
    still = [c["url"] for c in ours if port_open(c["url"])]
    _state_path(state_dir).unlink(missing_ok=True)
    (state_dir / PID_FILE).unlink(missing_ok=True)
    if still:
        raise SandboxError(f"sandbox stopped, but these still answer: {', '.join(still)}")
    return "sandbox: stopped\n"


# -- the supervisor's side ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _database(stack: contextlib.ExitStack) -> Iterator[tuple[str, str, int | None]]:
    """(server URL, sandbox database URL, pid of a cluster we started or None)."""
    from reconciler.providers import postgres
    from reconciler.providers.postgres import is_reachable
    from reconciler.sandbox.postgres import PostgresCluster

    given = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    pid = None
    if is_reachable(given):
        server = given
    else:
        cluster = stack.enter_context(PostgresCluster())
        server = cluster.url
        pid = _postmaster_pid(cluster)
    if postgres.database_exists(server, SANDBOX_DATABASE):
        postgres.drop_database(server, SANDBOX_DATABASE)
    postgres.create_database(server, SANDBOX_DATABASE)
    try:
        yield server, postgres.with_database(server, SANDBOX_DATABASE), pid
    finally:
        with contextlib.suppress(ReconcilerError):
            postgres.drop_database(server, SANDBOX_DATABASE)


def _postmaster_pid(cluster: Any) -> int | None:
    directory = getattr(cluster, "_dir", None)
    try:
        return int(Path(directory, "data", "postmaster.pid").read_text().split()[0]) if directory else None
    except (OSError, ValueError, IndexError):
        return None


def _app_schema(url: str) -> None:
    """A little application data and a migrations table, so the plan has real database facts to show."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "create table _prisma_migrations (id text primary key, migration_name text not null,"
            " finished_at timestamptz, rolled_back_at timestamptz)"
        )
        conn.execute(
            "insert into _prisma_migrations values ('1', '20260105_init', now(), null),"
            " ('2', '20260310_users', now(), null), ('3', '20260402_jobs', now(), null)"
        )
        conn.execute("create table users (id serial primary key, email text not null, created_at timestamptz)")
        conn.execute(
            "insert into users (email, created_at)"
            " select 'u' || g || '@fixia.app', now() from generate_series(1, 500) g"
        )


def _differences(desired: Any) -> Any:
    """Production runs an older version of everything, and someone changed web's health-check timeout by hand."""
    from reconciler.sandbox.seed_desired import Differences

    production = desired.environments.get("production")
    versions = {f"production/{name}": OLDER for name in production.services} if production else {}
    return Differences(versions=versions, deploy={"production/web": {"healthcheckTimeout": 60}})


def serve(state_dir: Path, desired_path: Path, *, processes: bool = True) -> int:
    from reconciler.desired.load import load_desired_state
    from reconciler.providers.s3 import S3
    from reconciler.sandbox.github import GitHubStandIn
    from reconciler.sandbox.railway import Emulator, EmulatorServer
    from reconciler.sandbox.s3 import SeaweedServer
    from reconciler.sandbox.seed_backups import plant_aged_copies, take_real_backup
    from reconciler.sandbox.seed_desired import seed_from_desired

    _daemonize(state_dir)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    desired = load_desired_state(desired_path)
    with contextlib.ExitStack() as stack:
        server_url, database_url, pg_pid = stack.enter_context(_database(stack))
        _app_schema(database_url)
        print("postgres ready", flush=True)

        seaweed = stack.enter_context(SeaweedServer())
        os.environ.update(seaweed.client_env())
        s3 = S3(seaweed.endpoint_url)
        buckets = {env.backups.bucket for env in desired.environments.values() if env.backups}
        for bucket in sorted(buckets):
            s3.create_bucket(bucket)
        if buckets:
            seed = take_real_backup(s3, database_url, sorted(buckets)[0], "sandbox-seed/", "sandbox")
            for env in desired.environments.values():
                if env.backups is None:
                    continue
                # Production has a fresh verified backup; staging's newest is past max_age, so its plan shows one due.
                hours = (3, 30, 75) if env.environment == "production" else (30, 54)
                if seed.bucket != env.backups.bucket:
                    seed = take_real_backup(s3, database_url, env.backups.bucket, "sandbox-seed/", "sandbox")
                plant_aged_copies(s3, seed, env.backups.prefix, [timedelta(hours=h) for h in hours])
        print("s3 ready", flush=True)

        seed_data = seed_from_desired(desired, _differences(desired), processes=processes)
        railway = stack.enter_context(EmulatorServer(Emulator(seed_data)))
        print("railway ready", flush=True)

        github = stack.enter_context(GitHubStandIn())
        files: dict[str, str | bytes] = {
            f"desired-state/{p.name}": p.read_bytes()
            for p in sorted(Path(desired_path).glob("*"))
            if p.suffix in (".yaml", ".yml", ".json")
        }
        github.add_repo(SANDBOX_REPO, files)
        print("github ready", flush=True)

        exports = {
            "RAILWAY_API_URL": railway.url,
            "RAILWAY_API_TOKEN": RAILWAY_TOKEN,
            "DATABASE_URL": database_url,
            **seaweed.client_env(),
            "GITHUB_API_URL": github.base_url,
            "GITHUB_REPOSITORY": SANDBOX_REPO,
            "GITHUB_TOKEN": GITHUB_TOKEN,
            "RECONCILER_SANDBOX": str(state_dir),
        }
        host, port = server_url_host(server_url)
        components = [
            {"name": "railway", "url": railway.url, "pid": None},
            {"name": "github", "url": github.base_url, "pid": None},
            {"name": "s3", "url": seaweed.endpoint_url, "pid": seaweed.pid},
            # A server we did not start (DATABASE_URL or the local one) keeps running after `down`: only our
            # database on it is dropped.
            {"name": "postgres", "url": f"{host}:{port}", "pid": pg_pid, "external": pg_pid is None},
        ]
        state = {"pid": os.getpid(), "ready": True, "exports": exports, "components": components}
        temporary = _state_path(state_dir).with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2))
        temporary.replace(_state_path(state_dir))
        print("sandbox ready", flush=True)
        while not stop.wait(0.5):
            pass
        print("stopping", flush=True)
    return 0


def server_url_host(url: str) -> tuple[str, int]:
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(url)
    return str(parts.get("host") or "127.0.0.1"), int(parts.get("port") or 5432)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "serve":
        sys.exit(serve(Path(sys.argv[2]), Path(sys.argv[3]), processes="--no-processes" not in sys.argv))
    print("usage: python -m reconciler.sandbox.stack serve STATE_DIR DESIRED_DIR [--no-processes]", file=sys.stderr)
    sys.exit(1)
