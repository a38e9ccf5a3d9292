"""Shared test set-up: a clean environment for every test, and the fixture modules of each area."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Each area's fixtures live in tests/fixtures/<area>.py; list them here.
pytest_plugins: list[str] = [
    "tests.fixtures.postgres",
    "tests.fixtures.s3",
    "tests.fixtures.github",
    "tests.fixtures.world",
    "tests.fixtures.railway",
]

# Credentials and endpoints that must never leak into a test from the developer's shell or CI.
_STRIPPED_PREFIXES = ("AWS_", "RAILWAY_", "GITHUB_", "GH_", "SLACK_", "RECONCILER_")


@pytest.fixture(autouse=True)
def clean_environ() -> Iterator[None]:
    """Default-deny: no test sees real credentials or real cloud endpoints from the surrounding shell."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(_STRIPPED_PREFIXES):
            del os.environ[name]
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
