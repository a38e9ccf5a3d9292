"""A deterministic load model per service, so autoscaling and metric watches can be tested.

A service has a total CPU demand (vCPU) and a total working set (GB), each a piecewise-linear function of the
seconds since the emulator started. Each replica carries an equal share: CPU per replica = demand / replicas
(capped at the CPU limit), memory per replica = base + working set / replicas (capped at the memory limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Points = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class LoadModel:
    cpu: Points = ((0.0, 0.1),)
    memory_gb: Points = ((0.0, 0.2),)
    memory_base_gb: float = 0.1
    cpu_limit: float = 2.0
    memory_limit_gb: float = 1.0

    def per_replica(self, seconds: float, replicas: int) -> tuple[float, float]:
        """(vCPU, memory GB) of one replica `seconds` after the emulator started, with `replicas` sharing the load."""
        share = max(replicas, 1)
        cpu = min(self.cpu_limit, value_at(self.cpu, seconds) / share)
        memory = min(self.memory_limit_gb, self.memory_base_gb + value_at(self.memory_gb, seconds) / share)
        return round(cpu, 6), round(memory, 6)


def value_at(points: Points, seconds: float) -> float:
    """Linear interpolation between the points; flat before the first and after the last."""
    if seconds <= points[0][0]:
        return points[0][1]
    for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
        if seconds <= t1:
            return v0 + (v1 - v0) * (seconds - t0) / (t1 - t0) if t1 > t0 else v1
    return points[-1][1]


def _points(value: Any, name: str) -> Points:
    if isinstance(value, int | float):
        return ((0.0, float(value)),)
    if isinstance(value, Sequence) and value and all(isinstance(p, Sequence) and len(p) == 2 for p in value):
        points = tuple((float(t), float(v)) for t, v in value)
        if any(b[0] < a[0] for a, b in zip(points, points[1:], strict=False)):
            raise ValueError(f"load.{name}: points must be in time order")
        return points
    raise ValueError(f"load.{name}: expected a number or a list of [seconds, value] pairs")


def load_model(spec: dict[str, Any] | None) -> LoadModel:
    """A model from the seed's `load:` mapping (`cpu`, `memory_gb`: number or [[seconds, value], ...]; limits)."""
    spec = dict(spec or {})
    unknown = set(spec) - {"cpu", "memory_gb", "memory_base_gb", "cpu_limit", "memory_limit_gb"}
    if unknown:
        raise ValueError(f"load: unknown keys {sorted(unknown)}")
    defaults = LoadModel()
    return LoadModel(
        cpu=_points(spec["cpu"], "cpu") if "cpu" in spec else defaults.cpu,
        memory_gb=_points(spec["memory_gb"], "memory_gb") if "memory_gb" in spec else defaults.memory_gb,
        memory_base_gb=float(spec.get("memory_base_gb", defaults.memory_base_gb)),
        cpu_limit=float(spec.get("cpu_limit", defaults.cpu_limit)),
        memory_limit_gb=float(spec.get("memory_limit_gb", defaults.memory_limit_gb)),
    )
