"""Plan -> text for a terminal: one summary line per environment, one line per change; colour only when asked."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.plan_types import Action, Change, EnvironmentPlan, Plan, Step, StepKind, Value

Paint = Callable[[str, str], str]

_CODES = {"green": "32", "yellow": "33", "red": "31", "cyan": "36", "dim": "2", "bold": "1"}
_SYMBOL = {Action.APPLY: "~", Action.ADOPT: "<", Action.MANUAL: "!"}
_COLOUR = {Action.APPLY: "yellow", Action.ADOPT: "cyan", Action.MANUAL: "red"}


def show(value: Value) -> str:
    """One value as people read it: `(none)` for absent, lists joined."""
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]" if value else "[]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def step_line(step: Step) -> str:
    state = {True: "passes now", False: "BLOCKED now", None: ""}[step.ok]
    kind = "gate" if step.kind is StepKind.GATE else "step"
    suffix = f" [{state}]" if state else ""
    return f"{step.name} ({kind}): {step.detail}{suffix}"


def render_text(plan: Plan, *, color: bool = False) -> str:
    def paint(text: str, colour: str) -> str:
        return f"\033[{_CODES[colour]}m{text}\033[0m" if color else text

    lines: list[str] = []
    for env in plan.environments:
        lines += _environment(env, paint)
        lines.append("")
    if not plan.environments:
        lines.append("No environments to plan.")
    elif not plan.complete:
        lines.append(paint("Plan INCOMPLETE: some providers could not be observed (see above).", "red"))
    elif plan.has_changes:
        lines.append(f"{len(plan.changes())} change(s) in total.")
    else:
        lines.append(paint("No changes. Live state matches git.", "green"))
    return "\n".join(lines) + "\n"


def _environment(env: EnvironmentPlan, paint: Paint) -> list[str]:
    colour = "red" if env.unreachable else ("yellow" if env.changes else "green")
    lines = [paint(env.summary(), colour), *(paint(f"  ! {u}", "red") for u in env.unreachable)]
    for change in env.changes:
        lines += _change(change, paint)
    for note in env.notes:
        lines.append(paint(f"  note: {note}", "dim"))
    if env.steps:
        lines.append("  steps, in order:")
        lines += [f"    {i}. {step_line(s)}" for i, s in enumerate(env.steps, 1)]
    return lines


def _change(change: Change, paint: Paint) -> list[str]:
    symbol = paint(_SYMBOL[change.action], _COLOUR[change.action])
    risk = change.risk.labels()
    head = f"  {symbol} {paint(change.address, 'bold')}: {show(change.before)} -> {show(change.after)}"
    if change.action is not Action.APPLY:
        head += f" ({change.action.value})"
    if risk:
        head += f"  [{', '.join(risk)}]"
    return [head, paint(f"      {change.why}; policy: {change.policy.value}", "dim")]
