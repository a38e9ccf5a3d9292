"""Retention follows restic's `forget --keep-*` exactly; the kept sets below are restic's documented results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from reconciler.backup.retain import Candidate, EmptyPolicy, Retention, apply_policy, plan_prune


@dataclass(frozen=True)
class Snap:
    id: str
    taken_at: datetime


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


def kept(snaps: list[Snap], policy: Retention, now: datetime | None = None) -> set[str]:
    return {d.id for d in apply_policy(snaps, policy, now or at("2100-01-01T00:00")) if d.keep}


# The forum/doc example: a1..a5, --keep-daily 4 keeps the newest of each of the last 4 days that have one.
FIVE = [
    Snap("a1", at("2026-05-01T08:00")),
    Snap("a2", at("2026-05-02T08:00")),
    Snap("a3", at("2026-05-02T11:00")),
    Snap("a4", at("2026-05-04T09:00")),
    Snap("a5", at("2026-05-05T10:00")),
]
# restic docs: twelve weekly backups, each on a Sunday.
SUNDAYS = [Snap(f"s{i:02}", at("2026-01-04T12:00") + timedelta(weeks=i)) for i in range(12)]


@pytest.mark.parametrize(
    ("snaps", "policy", "expected"),
    [
        pytest.param(FIVE, Retention(keep_daily=4), {"a1", "a3", "a4", "a5"}, id="keep-daily-4-skips-empty-days"),
        pytest.param(SUNDAYS, Retention(keep_daily=4), {"s08", "s09", "s10", "s11"}, id="sundays-keep-daily-4"),
        pytest.param(FIVE, Retention(keep_last=2), {"a4", "a5"}, id="keep-last-2"),
        pytest.param(FIVE, Retention(keep_last=9), {"a1", "a2", "a3", "a4", "a5"}, id="keep-last-more-than-there-are"),
        # Budget left after the newest per day: the oldest snapshot is kept too, although its day repeats a2/a3's.
        pytest.param(FIVE[:3], Retention(keep_daily=5), {"a1", "a3"}, id="oldest-kept-while-budget-remains"),
        pytest.param(
            [Snap("x1", at("2026-05-02T07:00")), *FIVE[1:3]],
            Retention(keep_daily=5),
            {"x1", "a3"},
            id="oldest-kept-even-in-a-repeated-day",
        ),
        # keep_within counts from the newest backup, not from now, and is strict: exactly 3 days older is dropped.
        pytest.param(FIVE, Retention(keep_within=timedelta(days=3)), {"a3", "a4", "a5"}, id="within-from-newest"),
        pytest.param(FIVE, Retention(keep_within=timedelta(days=3, hours=2)), {"a3", "a4", "a5"}, id="within-strict"),
        pytest.param(
            FIVE, Retention(keep_within=timedelta(days=3, hours=2, minutes=1)), {"a2", "a3", "a4", "a5"}, id="within"
        ),
        # Rules are OR-ed and each spends its own budget: last 1 (a5) + daily 2 (a5, a4) + monthly 1 (a5).
        pytest.param(FIVE, Retention(keep_last=1, keep_daily=2, keep_monthly=1), {"a4", "a5"}, id="rules-or-ed"),
        pytest.param(FIVE, Retention(keep_hourly=2), {"a4", "a5"}, id="hourly"),
    ],
)
def test_kept_set_matches_restic(snaps: list[Snap], policy: Retention, expected: set[str]) -> None:
    assert kept(snaps, policy) == expected


def test_weeks_are_iso_weeks_across_new_year() -> None:
    # Thu 2026-12-31 and Fri 2027-01-01 share ISO week 2026-W53; Mon 2027-01-04 starts 2027-W01.
    snaps = [
        Snap("thu", at("2026-12-31T10:00")),
        Snap("fri", at("2027-01-01T10:00")),
        Snap("mon", at("2027-01-04T10:00")),
    ]
    assert kept(snaps, Retention(keep_weekly=2)) == {"fri", "mon"}
    assert kept(snaps, Retention(keep_yearly=2)) == {"thu", "mon"}


def test_periods_are_taken_in_utc() -> None:
    # 23:30 at UTC-5 on March 1st is 04:30 UTC on March 2nd: the same UTC day as the later backup.
    eastern = timezone(timedelta(hours=-5))
    snaps = [
        Snap("late-local", datetime(2026, 3, 1, 23, 30, tzinfo=eastern)),
        Snap("utc-noon", at("2026-03-02T12:00")),
        Snap("first", at("2026-02-27T12:00")),
    ]
    assert kept(snaps, Retention(keep_daily=2)) == {"utc-noon", "first"}


def test_hundred_years_of_dailies_keep_what_the_restic_docs_say() -> None:
    # Ending on a Sunday, so the 7 dailies are exactly one ISO week, as the docs' arithmetic assumes.
    end = datetime(2025, 12, 28, 3, tzinfo=UTC)
    assert end.isoweekday() == 7
    snaps = [Snap(f"d{i}", end - timedelta(days=i)) for i in range(36525)]
    policy = Retention(keep_daily=7, keep_weekly=5, keep_monthly=12, keep_yearly=75)
    decisions = apply_policy(snaps, policy, datetime(2100, 1, 1, tzinfo=UTC))
    reasons = [set(d.reasons) for d in decisions if d.keep]
    # Each rule spends its whole budget, and a backup counts in every rule it satisfies (restic, not borg).
    for rule, budget in (("daily", 7), ("weekly", 5), ("monthly", 12), ("yearly", 75)):
        assert sum(1 for r in reasons if f"{rule} snapshot" in r) == budget
    # "the most recent 7 daily snapshots, then 4 (remember, 7 dailies already include a week!) last-day-of-the-weeks"
    assert sum(1 for r in reasons if "weekly snapshot" in r and "daily snapshot" not in r) == 4
    # Then the month ends not yet kept (December and November are), and the year ends not yet kept (2025's is).
    assert sum(1 for r in reasons if r == {"monthly snapshot"}) == 10  # October back to January
    assert sum(1 for r in reasons if r == {"yearly snapshot"}) == 74
    assert len(reasons) == 7 + 4 + 10 + 74


def test_future_backups_do_not_anchor_keep_within() -> None:
    now = at("2026-05-05T12:00")
    snaps = [*FIVE, Snap("future", at("2026-06-01T00:00"))]
    assert kept(snaps, Retention(keep_within=timedelta(days=1)), now) == {"a5", "future"}


def test_reasons_name_every_rule_that_keeps_a_backup() -> None:
    decisions = {d.id: d for d in apply_policy(FIVE, Retention(keep_last=1, keep_daily=1))}
    assert decisions["a5"].reasons == ("last snapshot", "daily snapshot")
    assert decisions["a4"].keep is False and decisions["a4"].reasons == ()


def test_empty_policy_keeps_everything_and_prune_refuses() -> None:
    assert kept(FIVE, Retention()) == {s.id for s in FIVE}
    with pytest.raises(EmptyPolicy, match="refusing to delete"):
        plan_prune([Candidate(s.id, s.taken_at, True) for s in FIVE], Retention())


def candidates(**overrides: dict[str, object]) -> list[Candidate]:
    result = []
    for s in FIVE:
        fields: dict[str, object] = {"verified": True, "kind": "scheduled", **overrides.get(s.id, {})}
        result.append(Candidate(s.id, s.taken_at, **fields))  # type: ignore[arg-type]
    return result


def test_prune_never_deletes_the_newest_verified_backup() -> None:
    backups = candidates(a5={"verified": False}, a4={"verified": False})
    plan = plan_prune(backups, Retention(keep_last=1), now=at("2026-05-06T00:00"))
    assert {d.id for d in plan.keep} == {"a5", "a3"}
    assert "newest verified backup" in {d.id: d for d in plan.keep}["a3"].reasons


def test_prune_keeps_the_newest_pre_deploy_backup_and_protected_ids() -> None:
    backups = candidates(a2={"kind": "pre-deploy"}, a1={"kind": "pre-deploy"})
    plan = plan_prune(backups, Retention(keep_last=1), now=at("2026-05-06T00:00"), protected=["a4"])
    assert {d.id for d in plan.keep} == {"a5", "a4", "a2"}
    assert {d.id for d in plan.delete} == {"a1", "a3"}


def test_prune_keeps_objects_still_under_object_lock() -> None:
    backups = candidates(a1={"locked_until": at("2026-06-01T00:00")}, a2={"locked_until": at("2026-05-03T00:00")})
    plan = plan_prune(backups, Retention(keep_last=1), now=at("2026-05-06T00:00"))
    assert {d.id for d in plan.keep} == {"a5", "a1"}
    assert any(r.startswith("object lock until 2026-06-01") for r in {d.id: d for d in plan.keep}["a1"].reasons)
