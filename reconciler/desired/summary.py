"""A readable summary of validated environments, as `reconciler validate` prints it. Read-only, no I/O."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler.desired.durations import format_duration
from reconciler.desired.model import DesiredState, Environment, Service


def _service(service: Service) -> str:
    parts = [f"replicas {service.replicas}"]
    if service.autoscaling is not None:
        scaling = service.autoscaling
        targets = [
            f"{name} {value}%"
            for name, value in (("cpu", scaling.cpu_percent), ("memory", scaling.memory_percent))
            if value
        ]
        parts[0] = f"replicas {service.replicas}, autoscaling {scaling.min}-{scaling.max} ({', '.join(targets)})"
    if service.healthcheck is not None:
        parts.append(f"health {service.healthcheck.path}")
    if service.version_check is not None:
        parts.append(f"version {service.version_check.path}")
    if service.migrations is not None:
        parts.append("migrations")
    if service.smoke:
        parts.append(f"{len(service.smoke)} smoke request{'s' if len(service.smoke) != 1 else ''}")
    return "; ".join(parts)


def _backups(env: Environment) -> str:
    backups = env.backups
    if backups is None:
        return "none"
    keep = backups.retention
    rules = [
        f"{label} {value}"
        for label, value in (
            ("last", keep.keep_last),
            ("hourly", keep.keep_hourly),
            ("daily", keep.keep_daily),
            ("weekly", keep.keep_weekly),
            ("monthly", keep.keep_monthly),
            ("yearly", keep.keep_yearly),
        )
        if value is not None
    ]
    if keep.keep_within is not None:
        rules.append(f"within {format_duration(keep.keep_within)}")
    text = (
        f"s3://{backups.bucket}/{backups.prefix} at '{backups.schedule}'; before deploy: {backups.before_deploy}; "
        f"keep {', '.join(rules)}; max age {format_duration(backups.max_age)}"
    )
    if backups.verify.restore_test is not None:
        text += f"; restore test {backups.verify.restore_test}"
    return text


def _verification(env: Environment) -> str:
    limits = []
    for name, limit in env.verification.metrics.items():
        bits = [f"{word} {value:g}" for word, value in (("min", limit.min), ("max", limit.max)) if value is not None]
        if limit.rollback_above is not None:
            bits.append(f"rollback above {limit.rollback_above:g}")
        limits.append(f"{name} {' '.join(bits)}")
    watch = f"watch {format_duration(env.verification.watch)}"
    return f"{watch}: {'; '.join(limits)}" if limits else watch


def summarize(env: Environment, source: str) -> list[str]:
    """The lines describing one environment."""
    rows: list[tuple[str, str]] = []
    if env.promotion is not None:
        soak = env.promotion.min_soak
        rows.append(("promotion", f"from {env.promotion.from_}" + (f" after {format_duration(soak)}" if soak else "")))
    rows.append(("deploy window", env.deploy_window.describe() if env.deploy_window else "any time"))
    if env.approval.required_for:
        rows.append(("approval", ", ".join(env.approval.required_for)))
    rows.append(("database", str(env.database.url) if env.database else "none"))
    rows.append(("backups", _backups(env)))
    rows.append(("verification", _verification(env)))
    rows.append(("rollback", "automatic" if env.rollback.automatic else "manual"))
    overrides = ", ".join(f"{field}: {action}" for field, action in env.drift.fields.items())
    rows.append(("drift", env.drift.default + (f" ({overrides})" if overrides else "")))
    counts = [f"{len(tasks)} {cadence}" for cadence, tasks in env.maintenance.tasks().items() if tasks]
    rows.append(("maintenance", ", ".join(counts) + " tasks" if counts else "none"))
    lines = [f"{env.name}: Railway {env.railway.project}/{env.railway.environment} ({source})"]
    lines.append("  services:")
    width = max(len(name) for name in env.services)
    for name, service in env.services.items():
        lines.append(f"    {name.ljust(width)}  {service.image_ref or f'{service.repo}@{service.commit}'}")
        lines.append(f"    {''.ljust(width)}  {_service(service)}")
    label_width = max(len(label) for label, _ in rows) + 1
    lines += [f"  {(label + ':').ljust(label_width)} {text}" for label, text in rows]
    return lines


def _chosen(state: DesiredState, names: Collection[str]) -> list[str]:
    return [name for name in state.promotion_order() if not names or name in names]


def summary_text(state: DesiredState, names: Collection[str] = ()) -> str:
    """Every environment (or those named), promotion sources first, then a one-line verdict."""
    lines: list[str] = []
    order = _chosen(state, names)
    for name in order:
        lines += summarize(state[name], str(state.source_of(name)))
        lines.append("")
    count = len(order)
    lines.append(f"{count} environment{'s' if count != 1 else ''} valid: {', '.join(order)}.")
    return "\n".join(lines) + "\n"


def summary_json(state: DesiredState, names: Collection[str] = ()) -> dict[str, Any]:
    """The validated desired state as JSON (secrets appear only as their references)."""
    return {
        "valid": True,
        "environments": {
            name: {"file": str(state.source_of(name)), "desired": state[name].model_dump(mode="json", by_alias=True)}
            for name in _chosen(state, names)
        },
    }
