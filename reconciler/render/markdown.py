"""Plan -> GitHub markdown for the sticky PR comment and the job summary.

A summary line per environment first, then per environment a table of changes, the gated steps in order, and the
reasons in a collapsible block. GitHub rejects comment bodies over 65,536 characters, so the output is built from
blocks in order of importance and cut, with a pointer to the job summary, before it would pass `limit`.
"""

from __future__ import annotations

from reconciler.plan_types import Change, EnvironmentPlan, Plan
from reconciler.render.text import show, step_line

GITHUB_LIMIT = 65_536
CUT_POINTER = "\n\n> **Plan cut to fit GitHub's comment limit.** The full plan is in this run's job summary{where}.\n"


def _cell(text: str) -> str:
    """Table cells cannot hold `|` or newlines; code spans cannot hold backticks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + _cell(text).replace("`", "'") + "`"


def summary_line(env: EnvironmentPlan) -> str:
    icon = ":x:" if env.unreachable else (":warning:" if env.changes else ":white_check_mark:")
    return f"- {icon} **{env.environment}**: {env.summary().split(': ', 1)[1]}"


def _table(changes: tuple[Change, ...]) -> list[str]:
    rows = ["| Address | Live | Git | Action | Drift policy | Risk |", "| --- | --- | --- | --- | --- | --- |"]
    for c in changes:
        risk = ", ".join(c.risk.labels()) or "-"
        cells = (_code(c.address), _code(show(c.before)), _code(show(c.after)), c.action.value, c.policy.value, risk)
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _environment_blocks(env: EnvironmentPlan) -> list[str]:
    """The environment's section as separate blocks, most important first, so a cut keeps what matters."""
    blocks = [f"### {env.environment}"]
    if env.unreachable:
        blocks.append(
            "\n".join(f"> :x: **{u.provider} unreachable**: {_cell(u.reason)}" for u in env.unreachable)
            + "\n>\n> This plan is incomplete: nothing is known about what that provider would change."
        )
    if env.changes:
        blocks.append("\n".join(_table(env.changes)))
    elif not env.unreachable:
        blocks.append("No changes: live matches git.")
    if env.steps:
        blocks.append(
            "**Gated steps, in order:**\n\n"
            + "\n".join(f"{i}. {_cell(step_line(s))}" for i, s in enumerate(env.steps, 1))
        )
    if env.notes:
        blocks.append("\n".join(f"- :information_source: {_cell(n)}" for n in env.notes))
    if env.changes:
        details = []
        for c in env.changes:
            details.append(f"- {_code(c.address)}: {_cell(c.why)}")
            details += [f"  {i}. {_cell(step_line(s))}" for i, s in enumerate(c.steps, 1)]
        blocks.append(
            "<details><summary>Why, and each change's steps</summary>\n\n" + "\n".join(details) + "\n\n</details>"
        )
    return blocks


def render_markdown(plan: Plan, *, limit: int = GITHUB_LIMIT, summary_url: str | None = None) -> str:
    """Markdown for GitHub, never longer than `limit` characters. The GitHub provider adds the sticky comment's
    hidden marker in front, so callers posting a comment pass a limit with room for it."""
    head = ["## Reconciler plan", "\n".join(summary_line(e) for e in plan.environments) or "No environments."]
    if not plan.complete:
        head.append("**The plan is incomplete:** some providers could not be observed, so this is not a no-op.")
    blocks = head + [b for env in plan.environments for b in _environment_blocks(env)]
    full = "\n\n".join(blocks) + "\n"
    if len(full) <= limit:
        return full
    pointer = CUT_POINTER.format(where=f" ({summary_url})" if summary_url else "")
    out = ""
    for block in blocks:
        candidate = (out + "\n\n" if out else "") + block
        if len(candidate) + len(pointer) > limit:
            break
        out = candidate
    if len(out) + len(pointer) > limit:  # even the head is too long: hard cut on a line boundary
        out = out[: limit - len(pointer)].rsplit("\n", 1)[0]
    return out + pointer
