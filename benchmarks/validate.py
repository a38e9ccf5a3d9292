"""Cold-start `reconciler validate` on the example desired-state/: median wall time against the 0.3 s target.

Each run is a fresh process (the cold start is the point), with the bytecode cache in place as after the first run
on any machine (the set-up compiles it, as scripts/bootstrap does). The commands are run in turn, round after round,
so that the machine's load, which others share, weighs on each of them alike. Printed from this one run:
- wall and CPU medians of a bare interpreter, of importing click + yaml + pydantic, of the same plus one trivial
  pydantic model (pydantic imports much of itself only when the first model is built), taking the shortcuts
  validate takes (no plugin discovery, no garbage collection while loading or at exit): the floor that any
  click + yaml + pydantic program pays; and of `reconciler validate`, with the ratios between them;
- inside one process, where the time goes (each phase's share of the whole);
- the heavy libraries (and slow standard modules) that validate does not import, checked in the real command.
On a loaded machine wall time swells with the queue for the CPU; the CPU medians and the ratios hold up better.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
EXAMPLE = str(ROOT / "desired-state")
TARGET = 0.3
RUNS = int(os.environ.get("RUNS", "21"))
# Not needed to validate; each would cost tens of milliseconds or more. The run fails if validate imports one.
HEAVY = ("boto3", "botocore", "github", "psycopg", "httpx", "graphql")
# Standard modules validate does not need either: importlib.metadata is what pydantic's plugin discovery imports
# (a scan of every installed distribution's metadata); email and socket come with it. Reported, not enforced.
SLOW_STANDARD = ("importlib.metadata", "email", "socket")

LIBRARIES = "import click, yaml\nfrom pydantic import BaseModel"
FIRST_MODEL = "\nfrom pydantic import Field\nclass First(BaseModel):\n    x: int = Field(1, ge=1)"
# The floor: what no click + yaml + pydantic program can avoid. It takes every shortcut validate takes (any
# program could): reconciler.desired's package module sets pydantic's plugin discovery aside, the garbage
# collector is off while the libraries load, and gc.freeze at exit skips the exit's collection.
AS_VALIDATE = "import atexit, gc, reconciler.desired\ngc.disable()\natexit.register(gc.freeze)\n"
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "click + yaml + pydantic imported": [PYTHON, "-c", LIBRARIES],
    "  + one trivial pydantic model": [PYTHON, "-c", AS_VALIDATE + LIBRARIES + FIRST_MODEL],
    "reconciler validate": [str(ROOT / ".venv" / "bin" / "reconciler"), "validate", EXAMPLE],
}
# Where the time of one validate goes, inside one fresh process, in the order the command meets each part and with
# the garbage collector paused where validate pauses it; the last part is the command itself (its models already
# imported): read, validate, summarise, print. The process prints the clock when it is done, so that the parent
# can tell how long the interpreter took to exit.
PHASES = f"""
import time
start = time.perf_counter()
import click
import reconciler.cli, reconciler.commands.validate, reconciler.desired
cli = time.perf_counter()
import gc
gc.disable()
import yaml
from pydantic import BaseModel
libraries = time.perf_counter()
{FIRST_MODEL}
first_model = time.perf_counter()
import reconciler.desired.load, reconciler.desired.summary
models = time.perf_counter()
gc.freeze(); gc.unfreeze(); gc.enable()
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    assert reconciler.cli.main(["validate", {EXAMPLE!r}]) == 0
done = time.perf_counter()
print(cli - start, libraries - cli, first_model - libraries, models - first_model, done - models, time.time())
"""
PHASE_NAMES = (
    "click (first to need shared modules) + our CLI",
    "yaml and pydantic imports",
    "pydantic's own lazy imports (first model)",
    "our desired-state modules and models",
    "the command: build validators, read, check, print",
    "interpreter exit",
)
PROBE = f"""
import sys
from reconciler.cli import main
code = main(["validate", {EXAMPLE!r}])
print("exit", code, file=sys.stderr)
for names in ({HEAVY!r}, {SLOW_STANDARD!r}):
    found = sorted(m for m in names if m in sys.modules)
    print(",".join(found) or "none", file=sys.stderr)
"""


def run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def phase_run() -> list[float]:
    """The PHASES durations of one fresh process, and how long its exit took after it printed them."""
    probe = subprocess.run([PYTHON, "-c", PHASES], capture_output=True, text=True, check=True, cwd=ROOT)
    ended = time.time()
    *durations, done = (float(part) for part in probe.stdout.split())
    return [*durations, ended - done]


def main() -> int:
    # The project's own modules are not in site-packages, so the install does not compile them; the first run
    # would (unless PYTHONDONTWRITEBYTECODE is set, as in some shells). Compile them here as bootstrap does.
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "reconciler")], check=True)
    load_before = os.getloadavg()[0]
    print(f"reconciler validate desired-state/: {RUNS} cold starts of each command, in turn; {os.cpu_count()} CPUs")
    for command in COMMANDS.values():
        run(command)  # warm the page cache
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    phases: list[list[float]] = []
    for _ in range(RUNS):
        for name, command in COMMANDS.items():
            seconds, cpu_seconds = run(command)
            walls[name].append(seconds)
            cpus[name].append(cpu_seconds)
        phases.append(phase_run())
    wall = {name: statistics.median(values) for name, values in walls.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    print(f"  {'':34} {'wall median':>11} {'(min - max)':>13} {'cpu median':>11}")
    for name in COMMANDS:
        low, high = min(walls[name]) * 1000, max(walls[name]) * 1000
        span = f"({low:.0f} - {high:.0f})"
        print(f"  {name:<34} {wall[name] * 1000:8.0f} ms {span:>13} {cpu[name] * 1000:8.0f} ms")
    bare, floor, validate = wall["python -c pass"], wall["  + one trivial pydantic model"], wall["reconciler validate"]
    cpu_floor, cpu_validate = cpu["  + one trivial pydantic model"], cpu["reconciler validate"]
    print(
        f"  ours (validate - floor)            {(validate - floor) * 1000:8.0f} ms {'':13} "
        f"{(cpu_validate - cpu_floor) * 1000:8.0f} ms"
    )
    print(
        f"  ratios: validate / python -c pass {validate / bare:.1f}; validate / floor {validate / floor:.2f} "
        f"(cpu {cpu_validate / cpu_floor:.2f}); floor / target {floor / TARGET:.2f}"
    )
    verdict = "meets" if validate < TARGET else "MISSES"
    print(f"  validate median / target          {validate / TARGET:.2f}  ({verdict} the {TARGET:.1f} s target)")
    fastest, fastest_floor = min(walls["reconciler validate"]), min(walls["  + one trivial pydantic model"])
    print(
        f"  fastest of {RUNS} (nearest this run comes to an idle machine): validate {fastest * 1000:.0f} ms, "
        f"floor {fastest_floor * 1000:.0f} ms; fastest / target {fastest / TARGET:.2f}"
    )

    medians = [statistics.median(column) for column in zip(*phases, strict=True)]
    whole = bare + sum(medians)
    print(f"  inside one process (wall medians; share of their sum, {whole * 1000:.0f} ms with interpreter start):")
    for name, seconds in (("interpreter start (python -c pass)", bare), *zip(PHASE_NAMES, medians, strict=True)):
        print(f"    {name:<48} {seconds * 1000:6.0f} ms  {seconds / whole:4.0%}")

    probe = subprocess.run([PYTHON, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
    exit_line, heavy, slow = probe.stderr.strip().splitlines()[-3:]
    print(f"  validate {exit_line}; imported of {', '.join(HEAVY)}: {heavy}")
    print(f"  imported of {', '.join(SLOW_STANDARD)}: {slow}")
    print(f"  load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0 if heavy == "none" else 1


if __name__ == "__main__":
    sys.exit(main())
