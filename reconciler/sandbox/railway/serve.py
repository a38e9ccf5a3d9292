"""Running the emulator on its own until SIGINT or SIGTERM (`reconciler sandbox railway`)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from reconciler.errors import InvalidInput, Problem, ReconcilerError
from reconciler.sandbox.railway.model import FAST
from reconciler.sandbox.railway.seed import DEFAULT_SEED, SeedError, load_seed


def serve(port: int, seed_path: Path | None, *, fast: bool = False, processes: bool | None = None) -> int:
    """Serve until interrupted; the first line on stdout is the GraphQL URL, flushed at once."""
    from reconciler.sandbox.railway.emulator import Emulator
    from reconciler.sandbox.railway.server import EmulatorServer

    try:
        seed_path = DEFAULT_SEED if seed_path is None else seed_path
        seed = load_seed(seed_path)
        emulator = Emulator(seed, timings=FAST if fast else None, processes=processes)
    except SeedError as error:
        raise InvalidInput([Problem(str(seed_path), error.line, error.column, str(error))]) from error
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = EmulatorServer(emulator, port=port)
    try:
        try:
            server.start()
        except OSError as error:
            raise ReconcilerError(f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}") from error
        print(server.url, flush=True)
        for environment in emulator.environments.values():
            project = emulator.projects[environment.project_id]
            print(f"environment {project.name}/{environment.name}: {environment.id}", file=sys.stderr, flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
