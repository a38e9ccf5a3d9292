"""Small builders of desired-state YAML for the tests: one valid minimal environment, and ways to vary it."""

from __future__ import annotations

from pathlib import Path

MINIMAL = """\
environment: production
railway: {project: fixia, environment: production}
services:
  api: {image: ghcr.io/fixia/api, version: "1.4.2"}
"""


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
