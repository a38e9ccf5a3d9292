"""The records a plan is made of: changes, the gated steps they go through, and their risk. Values only.

A `Plan` is what `plan.plan()` returns and what `render` prints and `drift` acts on. Every record is frozen and
holds only JSON-friendly values, so the JSON rendering is a straight walk.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reconciler.observed import Unreachable

Value = str | int | float | bool | None | tuple[str, ...]


class Kind(enum.StrEnum):
    UPDATE = "update"  # a declared field differs from what is live
    MISSING = "missing"  # a declared service does not exist live
    BACKUP = "backup"  # no verified backup, or the newest verified one is older than max_age


class Policy(enum.StrEnum):
    CORRECT = "correct"
    REPORT = "report"
    ADOPT = "adopt"


class Action(enum.StrEnum):
    APPLY = "apply"  # apply makes live match git
    ADOPT = "adopt"  # a PR writes the live value into git
    MANUAL = "manual"  # only a person can fix it (a secret to set, a service to create)


_ACTION_WORDS = {"apply": "to apply", "adopt": "to adopt into git", "manual": "for a person to fix"}


class StepKind(enum.StrEnum):
    GATE = "gate"
    STEP = "step"


@dataclass(frozen=True)
class Step:
    """One gate or step a change goes through, in order. `ok` is known at plan time for some gates, else None."""

    name: str
    kind: StepKind
    detail: str
    ok: bool | None = None


@dataclass(frozen=True)
class Risk:
    restarts: bool = False
    migrations: bool = False
    scale_down: bool = False
    reversible: bool = True
    """Undone by redeploying the previous image (false once migrations may have changed the schema)."""

    def labels(self) -> tuple[str, ...]:
        found = []
        if self.restarts:
            found.append("restarts")
        if self.migrations:
            found.append("migrations")
        if self.scale_down:
            found.append("scale-down")
        if not self.reversible:
            found.append("irreversible")
        return tuple(found)


@dataclass(frozen=True)
class Change:
    address: str
    """`environment/service/field`, or `environment/backups/freshness`."""
    environment: str
    service: str | None
    field: str
    kind: Kind
    before: Value
    """What is live (None when absent)."""
    after: Value
    """What git declares."""
    why: str
    policy: Policy
    action: Action
    steps: tuple[Step, ...] = ()
    risk: Risk = Risk()
    source_path: tuple[str, ...] | None = None
    """Where the declared value sits in the environment's desired-state file (for adopt edits); None if nowhere."""
    duration: bool = False
    """`before` and `after` are whole seconds that git writes as a duration (`300s`, `5m`): adopt writes the live
    value back as a duration in git's own units, never as a bare number."""

    @property
    def is_drift(self) -> bool:
        """A declared field whose live value differs (as opposed to a backup that is due)."""
        return self.kind is not Kind.BACKUP


@dataclass(frozen=True)
class EnvironmentPlan:
    environment: str
    changes: tuple[Change, ...] = ()
    unreachable: tuple[Unreachable, ...] = ()
    notes: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    """The environment's whole pipeline in order: every gate and step any of its changes needs, once."""

    @property
    def complete(self) -> bool:
        return not self.unreachable

    def summary(self) -> str:
        if self.unreachable:
            down = ", ".join(u.provider for u in self.unreachable)
            return f"{self.environment}: INCOMPLETE ({down} unreachable)"
        if not self.changes:
            return f"{self.environment}: no changes"
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.action.value] = counts.get(change.action.value, 0) + 1
        parts = ", ".join(f"{n} {_ACTION_WORDS[a]}" for a, n in counts.items())
        plural = "s" if len(self.changes) != 1 else ""
        return f"{self.environment}: {len(self.changes)} change{plural} ({parts})"


@dataclass(frozen=True)
class Plan:
    environments: tuple[EnvironmentPlan, ...] = ()

    @property
    def has_changes(self) -> bool:
        return any(env.changes for env in self.environments)

    @property
    def complete(self) -> bool:
        return all(env.complete for env in self.environments)

    def changes(self) -> tuple[Change, ...]:
        return tuple(c for env in self.environments for c in env.changes)
