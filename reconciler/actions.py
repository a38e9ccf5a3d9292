"""The GitHub Actions runtime: annotations, job summary, outputs and masks; plain terminal output elsewhere."""

from __future__ import annotations

import os

import click

from reconciler.errors import Problem


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotation(problem: Problem) -> None:
    """Under Actions, emit `::error file=…,line=…,col=…::message` so the problem shows on the PR diff."""
    if not in_actions():
        return
    properties = f"file={_escape_property(problem.file)},line={problem.line},col={problem.column}"
    click.echo(f"::error {properties}::{_escape_data(problem.message)}")
