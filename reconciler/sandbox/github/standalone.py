"""Run the GitHub stand-in on its own: seed one repository (optionally from a directory) and serve until stopped."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TextIO

from reconciler.sandbox.github.server import GitHubStandIn

DEFAULT_REPO = "sandbox/infra"


def load_seed_dir(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` as {relative POSIX path: bytes}, skipping `.git`."""
    files: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and ".git" not in relative.parts:
            files[relative.as_posix()] = path.read_bytes()
    return files


def serve(
    *,
    port: int = 0,
    repo: str = DEFAULT_REPO,
    seed_dir: Path | None = None,
    validate: bool = False,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve a stand-in holding `repo` until SIGINT/SIGTERM (or `stop` is set); the base URL is the first line out."""
    out = out or sys.stdout
    files = load_seed_dir(seed_dir) if seed_dir is not None else {}
    done = stop or threading.Event()
    previous = {}
    if stop is None:

        def finish(signum: int, frame: FrameType | None) -> None:
            done.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, finish)
    try:
        with GitHubStandIn(port=port, validate=validate) as stand_in:
            stand_in.add_repo(repo, files)
            print(stand_in.base_url, file=out, flush=True)
            print(
                f"serving {repo} (default branch main, {len(files)} files); any token is accepted; stop with Ctrl-C",
                file=sys.stderr,
                flush=True,
            )
            while not done.wait(0.2):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
