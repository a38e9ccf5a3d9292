"""Cold-start `reconciler validate` on the example desired-state/: median wall time against the 0.3 s target.

Each run is a fresh process (the cold start is the point). Prints, from this one run: the median and spread of
wall and CPU time, the same for a bare interpreter and for importing the libraries validate needs (so the share
that is ours is visible), the machine's load, and which heavy libraries the validate process imported (none).
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
TARGET = 0.3
RUNS = int(os.environ.get("RUNS", "15"))
HEAVY = ("boto3", "botocore", "github", "psycopg", "httpx", "graphql")

VALIDATE = [str(ROOT / ".venv" / "bin" / "reconciler"), "validate", str(ROOT / "desired-state")]
BARE = [PYTHON, "-c", "pass"]
LIBRARIES = [PYTHON, "-c", "import click, yaml; from pydantic import BaseModel"]
# Cold start means a fresh process with the bytecode cache in place, as after the first run on any machine;
# PYTHONDONTWRITEBYTECODE (set in some shells) would make every run recompile every module instead.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
# Where the time of one validate goes, measured inside one fresh process.
PHASES = f"""
import time
start = time.perf_counter()
import click, yaml
from pydantic import BaseModel
libraries = time.perf_counter()
import reconciler.desired.model
models = time.perf_counter()
from pathlib import Path
from reconciler.desired.load import load_desired_state
from reconciler.desired.summary import summary_text
summary_text(load_desired_state(Path({str(ROOT / "desired-state")!r})))
done = time.perf_counter()
print(libraries - start, models - libraries, done - models)
"""
PROBE = f"""
import sys
from reconciler.cli import main
code = main(["validate", {str(ROOT / "desired-state")!r}])
print("exit", code, file=sys.stderr)
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})) or "none", file=sys.stderr)
"""


def measure(command: list[str]) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + sys) seconds of `RUNS` fresh processes."""
    walls, cpus = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=ENV)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def line(name: str, walls: list[float], cpus: list[float]) -> float:
    median = statistics.median(walls)
    print(
        f"  {name:<30} wall median {median * 1000:6.0f} ms (min {min(walls) * 1000:4.0f}, max {max(walls) * 1000:4.0f})"
        f"   cpu median {statistics.median(cpus) * 1000:6.0f} ms"
    )
    return median


def main() -> int:
    print(f"reconciler validate desired-state/: {RUNS} cold starts each; load average {os.getloadavg()[0]:.2f}")
    subprocess.run(VALIDATE, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=ENV)  # write the bytecode cache
    bare = line("python -c pass", *measure(BARE))
    libraries = line("click, yaml, pydantic imports", *measure(LIBRARIES))
    validate = line("reconciler validate", *measure(VALIDATE))
    print(f"  ours (validate - libraries)    {max(validate - libraries, 0) * 1000:6.0f} ms")
    print(f"  interpreter start              {bare * 1000:6.0f} ms")
    verdict = "meets" if validate < TARGET else "MISSES"
    print(f"  median / target                {validate / TARGET:6.2f}  ({verdict} the {TARGET:.1f} s target)")
    phases = []
    for _ in range(RUNS):
        run = subprocess.run([PYTHON, "-c", PHASES], capture_output=True, text=True, check=True, cwd=ROOT, env=ENV)
        phases.append([float(part) for part in run.stdout.split()])
    libraries_ms, models_ms, load_ms = (statistics.median(column) * 1000 for column in zip(*phases, strict=True))
    print(
        f"  inside one process (medians)   libraries {libraries_ms:.0f} ms, building our models {models_ms:.0f} ms, "
        f"reading + validating + summarising both files {load_ms:.0f} ms"
    )
    probe = subprocess.run([PYTHON, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT, env=ENV)
    exit_line, heavy = probe.stderr.strip().splitlines()[-2:]
    print(f"  validate {exit_line}; heavy libraries imported: {heavy}")
    return 0 if heavy == "none" else 1


if __name__ == "__main__":
    sys.exit(main())
