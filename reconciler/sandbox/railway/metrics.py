"""The `metrics` and HTTP metrics queries: CPU and memory from the load model, HTTP from what the apps served."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from reconciler.sandbox.railway.emulator import ApiError, Emulator
from reconciler.sandbox.railway.model import parse_iso

SUPPORTED = ("CPU_USAGE", "CPU_LIMIT", "MEMORY_USAGE_GB", "MEMORY_LIMIT_GB")
TAG_FIELDS = {
    "PROJECT_ID": "projectId",
    "ENVIRONMENT_ID": "environmentId",
    "SERVICE_ID": "serviceId",
    "DEPLOYMENT_ID": "deploymentId",
    "DEPLOYMENT_INSTANCE_ID": "deploymentInstanceId",
    "REGION": "region",
}
MAX_POINTS = 10_000


def _steps(start: float, end: float, step: int) -> list[int]:
    if step <= 0:
        raise ApiError("The step must be a positive number of seconds")
    first = int(math.floor(start / step) * step)
    count = int((end - first) // step) + 1
    if count > MAX_POINTS:
        raise ApiError("Too many data points requested; use a larger step")
    return [first + i * step for i in range(max(count, 0))]


def resource_metrics(em: Emulator, args: dict[str, Any]) -> list[dict[str, Any]]:
    """`metrics(...)`: per-replica samples from the load model, summed within each `groupBy` group."""
    unsupported = [m for m in args["measurements"] if m not in SUPPORTED]
    if unsupported:
        raise ApiError(f"not implemented by the emulator: metrics measurement {', '.join(unsupported)}")
    group_by = list(args.get("groupBy") or [])
    unknown = [tag for tag in group_by if tag not in TAG_FIELDS]
    if unknown:
        raise ApiError(f"not implemented by the emulator: metrics groupBy {', '.join(unknown)}")
    start = parse_iso(args["startDate"])
    end = parse_iso(args["endDate"]) if args.get("endDate") else em.clock()
    timestamps = _steps(start, end, int(args.get("sampleRateSeconds") or 60))
    groups: dict[tuple[str, tuple[tuple[str, str | None], ...]], dict[int, float]] = defaultdict(dict)
    for environment in em.environments.values():
        if args.get("projectId") and environment.project_id != args["projectId"]:
            continue
        if args.get("environmentId") and environment.id != args["environmentId"]:
            continue
        for service_id in em.instance_ids(environment.id):
            if args.get("serviceId") and service_id != args["serviceId"]:
                continue
            live = em.active_deployments(environment.id, service_id)
            deployment_id = live[0].id if live else None
            model = em.loads.get((environment.id, service_id))
            if model is None:
                continue
            for ts in timestamps:
                spread = em.regions_at(environment.id, service_id, ts)
                replicas = sum(spread.values())
                cpu, memory = model.per_replica(ts - em.epoch, replicas)
                index = 0
                for region, count in spread.items():
                    for _ in range(count):
                        tags = {
                            "projectId": environment.project_id,
                            "environmentId": environment.id,
                            "serviceId": service_id,
                            "deploymentId": deployment_id,
                            "deploymentInstanceId": f"{deployment_id}-{index}",
                            "region": region,
                        }
                        index += 1
                        key = tuple((TAG_FIELDS[tag], tags[TAG_FIELDS[tag]]) for tag in group_by)
                        values = {"CPU_USAGE": cpu, "CPU_LIMIT": model.cpu_limit,
                                  "MEMORY_USAGE_GB": memory, "MEMORY_LIMIT_GB": model.memory_limit_gb}  # fmt: skip
                        for measurement in args["measurements"]:
                            series = groups[(measurement, key)]
                            series[ts] = series.get(ts, 0.0) + values[measurement]
    results = []
    for (measurement, key), series in groups.items():
        tags = {field: None for field in (*TAG_FIELDS.values(), "pluginId", "volumeId", "volumeInstanceId")}
        tags.update(dict(key))
        samples = [{"ts": ts, "value": round(value, 6)} for ts, value in sorted(series.items())]
        results.append({"measurement": measurement, "tags": tags, "values": samples})
    return results


def _served(em: Emulator, args: dict[str, Any], with_status: bool = True) -> tuple[list[list[Any]], list[int]]:
    """Requests the service's apps served in the window (filtered), and the bucket start times."""
    em.environment(args["environmentId"])
    em.service(args["serviceId"])
    start, end = parse_iso(args["startDate"]), parse_iso(args["endDate"])
    step = int(args.get("stepSeconds") or 60)
    rows = []
    for deployment in em.deployments_of(args["environmentId"], args["serviceId"]):
        for row in em.collect_served(deployment.id):
            ts, method, path, status = row[0], row[1], row[2], row[3]
            if not start <= ts <= end:
                continue
            if args.get("method") and method != args["method"]:
                continue
            if args.get("path") and path != args["path"]:
                continue
            if with_status and args.get("statusCode") is not None and status != args["statusCode"]:
                continue
            rows.append(row)
    return rows, _steps(start, end, step)


def _bucket(ts: float, buckets: list[int]) -> int:
    step = buckets[1] - buckets[0] if len(buckets) > 1 else 1
    return int(buckets[0] + ((ts - buckets[0]) // step) * step) if len(buckets) > 1 else buckets[0]


def http_counts(em: Emulator, args: dict[str, Any]) -> dict[str, Any]:
    rows, buckets = _served(em, args)
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[_bucket(row[0], buckets)] += 1
    return {"samples": [{"ts": ts, "value": float(n)} for ts, n in sorted(counts.items())]}


def http_by_status(em: Emulator, args: dict[str, Any]) -> list[dict[str, Any]]:
    rows, buckets = _served(em, args, with_status=False)
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[int(row[3])][_bucket(row[0], buckets)] += 1
    return [
        {"statusCode": code, "samples": [{"ts": ts, "value": float(n)} for ts, n in sorted(series.items())]}
        for code, series in sorted(counts.items())
    ]


def _percentile(durations: list[float], fraction: float) -> float:
    ordered = sorted(durations)
    return round(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)], 3)


def http_durations(em: Emulator, args: dict[str, Any]) -> dict[str, Any]:
    rows, buckets = _served(em, args)
    durations: dict[int, list[float]] = defaultdict(list)
    for row in rows:
        durations[_bucket(row[0], buckets)].append(float(row[4]))
    samples = [
        {"ts": ts, **{f"p{p}": _percentile(values, p / 100) for p in (50, 90, 95, 99)}}
        for ts, values in sorted(durations.items())
    ]
    return {"samples": samples}
