"""Plan -> JSON in a documented, versioned shape (`docs/plan.schema.json`); bump FORMAT_VERSION when it breaks."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan_types import Change, EnvironmentPlan, Plan, Step, Value

FORMAT_VERSION = 1


def _value(value: Value) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _step(step: Step) -> dict[str, Any]:
    return {"name": step.name, "kind": step.kind.value, "detail": step.detail, "ok": step.ok}


def _change(change: Change) -> dict[str, Any]:
    return {
        "address": change.address,
        "service": change.service,
        "field": change.field,
        "kind": change.kind.value,
        "before": _value(change.before),
        "after": _value(change.after),
        "why": change.why,
        "policy": change.policy.value,
        "action": change.action.value,
        "drift": change.is_drift,
        "risk": {
            "restarts": change.risk.restarts,
            "migrations": change.risk.migrations,
            "scale_down": change.risk.scale_down,
            "reversible": change.risk.reversible,
        },
        "steps": [_step(s) for s in change.steps],
        "source_path": list(change.source_path) if change.source_path is not None else None,
    }


def _environment(env: EnvironmentPlan) -> dict[str, Any]:
    return {
        "environment": env.environment,
        "summary": env.summary(),
        "complete": env.complete,
        "unreachable": [{"provider": u.provider, "reason": u.reason} for u in env.unreachable],
        "notes": list(env.notes),
        "steps": [_step(s) for s in env.steps],
        "changes": [_change(c) for c in env.changes],
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "complete": plan.complete,
        "has_changes": plan.has_changes,
        "environments": [_environment(e) for e in plan.environments],
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
