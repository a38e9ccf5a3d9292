"""What `reconciler validate` imports in a fresh process, and pydantic's plugin loader stand-in (no timing here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fresh(code: str, *env: str) -> list[str]:
    """Run `code` in a fresh interpreter (from the project root); its stdout lines."""
    environ = dict(item.split("=", 1) for item in env)
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin", **environ}
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_validate_imports_no_heavy_library_nor_plugin_discovery() -> None:
    code = (
        "import contextlib, io, sys\n"
        "from reconciler.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    code = main(['validate', 'desired-state'])\n"
        "print(code, 'environments valid' in out.getvalue())\n"
        "heavy = ('boto3', 'botocore', 'github', 'psycopg', 'httpx', 'graphql', 'importlib.metadata', 'email')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    assert fresh(code) == ["0 True", "[]"]


def test_plugin_loader_stand_in_answers_like_pydantic_and_yields_the_real_module() -> None:
    code = (
        "import os, sys\n"
        "import reconciler.desired\n"
        "from pydantic import BaseModel\n"
        "class A(BaseModel):\n"
        "    x: int\n"
        "print(A(x=1).x, 'importlib.metadata' in sys.modules)\n"
        "import pydantic.plugin._loader as loader\n"
        "print(loader.get_plugins())\n"
        "print(loader.PYDANTIC_ENTRY_POINT_GROUP, 'importlib.metadata' in sys.modules)\n"
    )
    assert fresh(code) == ["1 False", "()", "pydantic True"]


def test_no_stand_in_when_the_user_enables_plugins() -> None:
    code = "import sys\nimport reconciler.desired\nprint('pydantic.plugin._loader' in sys.modules)\n"
    assert fresh(code, "PYDANTIC_DISABLE_PLUGINS=") == ["False"]
    assert fresh(code, "PYDANTIC_DISABLE_PLUGINS=1") == ["True"]


def test_validate_freezes_the_collector_only_at_exit() -> None:
    # Our atexit handler is registered first, so it runs last: after validate's.
    code = (
        "import atexit, contextlib, gc, io\n"
        "atexit.register(lambda: print('at exit, frozen:', gc.get_freeze_count() > 0))\n"
        "from reconciler.cli import main\n"
        "for _ in range(2):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert main(['validate', 'desired-state']) == 0\n"
        "print('while running, frozen:', gc.get_freeze_count() > 0, gc.isenabled())\n"
    )
    assert fresh(code) == ["while running, frozen: False True", "at exit, frozen: True"]


def test_validate_leaves_the_collector_as_it_found_it() -> None:
    # A cycle alive when validate runs (the collector is off until then) is still collectable after it; the
    # collector's switch is restored; someone else's frozen objects stay frozen.
    code = (
        "import contextlib, gc, io, weakref\n"
        "from reconciler.cli import main\n"
        "class Node: pass\n"
        "def run():\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert main(['validate', 'desired-state']) == 0\n"
        "gc.disable()\n"
        "node = Node(); node.me = node; alive = weakref.ref(node); del node\n"
        "run()\n"
        "print(gc.isenabled(), gc.get_freeze_count(), alive() is not None)\n"
        "gc.collect()\n"
        "print('cycle collected:', alive() is None)\n"
        "gc.enable()\n"
        "run()\n"
        "print('enabled:', gc.isenabled())\n"
        "gc.freeze(); frozen = gc.get_freeze_count()\n"
        "run()\n"
        "print('still frozen:', gc.get_freeze_count() == frozen)\n"
    )
    assert fresh(code) == ["False 0 True", "cycle collected: True", "enabled: True", "still frozen: True"]
