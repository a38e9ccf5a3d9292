"""The one error tree, and the one place that decides exit codes.

Every expected failure is a `ReconcilerError` (exit 1). Anything else that escapes is a bug (exit 3).
Errors never carry secret values: messages name a secret by its reference, never by its content.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURE = 1
    CHANGES_PRESENT = 2
    BUG = 3
    INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a user's input, located at `file:line:column` (1-based; 0 when unknown)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ReconcilerError(Exception):
    """An expected failure: bad input, a provider that failed, a gate that refused. Exit code 1."""

    exit_code = ExitCode.FAILURE


class UsageError(ReconcilerError):
    """The command line itself is wrong (unknown flag, missing argument)."""


class InvalidInput(ReconcilerError):
    """The user's files are invalid; carries every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProviderError(ReconcilerError):
    """An external system (Railway, PostgreSQL, S3, GitHub) failed or refused."""


class PermanentError(ProviderError):
    """Retrying will not help: not authorised, not found, invalid request."""


class TemporaryError(ProviderError):
    """Retrying later may help; `delay` is the server's hint in seconds, when it gave one."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class GateRefused(ReconcilerError):
    """A deploy gate (window, promotion, approval, freeze) said no."""


class VerificationFailed(ReconcilerError):
    """A check after an action (health, version, smoke, metrics, backup integrity) failed."""


class ChangesPresent(Exception):
    """Not an error: `plan --detailed-exitcode` found changes. Exit code 2."""

    exit_code = ExitCode.CHANGES_PRESENT


def exit_code_for(error: BaseException) -> ExitCode:
    """Map anything raised out of a command to the process exit code."""
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, ReconcilerError | ChangesPresent):
        return error.exit_code
    return ExitCode.BUG
