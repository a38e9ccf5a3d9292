"""Plan -> text for a terminal, markdown for a PR comment or job summary, and versioned JSON. Pure functions."""

from __future__ import annotations

from reconciler.plan_types import Plan
from reconciler.render.as_json import FORMAT_VERSION, plan_to_dict, render_json
from reconciler.render.markdown import GITHUB_LIMIT, render_markdown
from reconciler.render.text import render_text

FORMATS = ("text", "markdown", "json")


def render(plan: Plan, format: str, *, color: bool = False) -> str:
    """Dispatch by format name; `color` only matters for text (the caller knows whether it writes to a TTY)."""
    if format == "json":
        return render_json(plan)
    if format == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


__all__ = [
    "FORMATS",
    "FORMAT_VERSION",
    "GITHUB_LIMIT",
    "plan_to_dict",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
]
