"""Drift policies against a recording fake of our GitHub port: what is written, when, and what never is."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.drift import act, duration_like, first_seen
from reconciler.observed import GitHubFacts, IssueRef, ObservedEnvironment, ObservedState, RailwayFacts, Unreachable
from reconciler.plan_types import Action, Change, EnvironmentPlan, Kind, Plan, Policy
from reconciler.providers.github.records import ChangeProposal, ClosedPull, IssueReport, Outcome, PullRef

T1 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@dataclass
class RecordingPort:
    """Our `GitHubPort`, remembering every call; issues keep their last body like GitHub would."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    bodies: dict[str, str] = field(default_factory=dict)

    def report_issue(self, report: IssueReport) -> Outcome:
        self.calls.append(("report_issue", report))
        action = "updated" if report.key in self.bodies else "created"
        self.bodies[report.key] = report.body
        return Outcome(action, 7, "https://github.example/fixia/infra/issues/7")  # type: ignore[arg-type]

    def resolve_issue(self, label: str, key: str, comment: str, *, reason: str = "completed") -> Outcome:
        self.calls.append(("resolve_issue", key))
        self.bodies.pop(key, None)
        return Outcome("closed", 7)

    def propose_change(self, proposal: ChangeProposal) -> PullRef:
        self.calls.append(("propose_change", proposal))
        return PullRef("created", 8, "https://github.example/fixia/infra/pull/8", "f" * 40)

    def close_pull(self, number: int, comment: str, *, delete_branch: bool = True) -> ClosedPull:
        self.calls.append(("close_pull", (number, comment)))
        return ClosedPull("closed", number, None, "reconciler/adopt-drift-staging", True)


def change(field_name: str, before: Any, after: Any, policy: Policy, action: Action, path: Any = None) -> Change:
    return Change(
        address=f"staging/web/{field_name}",
        environment="staging",
        service="web",
        field=field_name,
        kind=Kind.UPDATE,
        before=before,
        after=after,
        why="differs",
        policy=policy,
        action=action,
        source_path=path,
    )


REPLICAS = change("replicas", 3, 1, Policy.ADOPT, Action.ADOPT, ("services", "web", "replicas"))
VERSION = change("version", "1.4.1", "1.4.2", Policy.CORRECT, Action.APPLY)
HEALTH = change("healthcheck.path", "/healthz", "/", Policy.REPORT, Action.APPLY)


def run(
    port: RecordingPort,
    changes: tuple[Change, ...],
    *,
    now: datetime = T1,
    issue: IssueRef | None = None,
    tmp: Path,
    unreachable: tuple[Unreachable, ...] = (),
    pull: IssueRef | None = None,
) -> tuple[str, ...]:
    source = tmp / "staging.yaml"
    if not source.exists():
        source.write_text("environment: staging\nservices:\n  web:\n    version: 1.4.2  # keep\n    replicas: 1\n")
    env_plan = EnvironmentPlan("staging", changes=changes, unreachable=unreachable)
    live = ObservedEnvironment("staging", now, RailwayFacts(), github=GitHubFacts(drift_issue=issue, adopt_pull=pull))
    result = act(
        Plan((env_plan,)),
        ObservedState((live,)),
        {"staging": source},
        port,  # type: ignore[arg-type]
        now=now,
        repo_path=lambda p: f"desired-state/{p.name}",
    )
    return result.lines


def test_nothing_drifted_and_no_issue_open_calls_github_not_at_all(tmp_path: Path) -> None:
    port = RecordingPort()
    assert run(port, (), tmp=tmp_path) == ("staging: no drift",)
    assert port.calls == []


def test_drift_gone_closes_the_open_issue(tmp_path: Path) -> None:
    port = RecordingPort()
    lines = run(port, (), issue=IssueRef(7, "Drift in staging", "", "body"), tmp=tmp_path)
    assert port.calls == [("resolve_issue", "drift:staging")]
    assert lines == ("staging: no drift; issue #7 closed",)


def test_each_policy_lands_where_it_should(tmp_path: Path) -> None:
    port = RecordingPort()
    lines = run(port, (REPLICAS, VERSION, HEALTH), tmp=tmp_path)
    kinds = [name for name, _ in port.calls]
    assert kinds == ["propose_change", "report_issue"]
    proposal = port.calls[0][1]
    (edit,) = proposal.files
    assert edit.path == "desired-state/staging.yaml"
    assert edit.previous is not None and edit.content is not None
    assert edit.content == edit.previous.replace(b"replicas: 1", b"replicas: 3")
    body = port.calls[1][1].body
    assert "| `staging/web/replicas` | `3` | `1` | adopt | adopted into git by https://github.example" in body
    assert "| `staging/web/version` | `1.4.1` | `1.4.2` | correct | corrected by the next apply |" in body
    assert "| `staging/web/healthcheck.path` | `/healthz` | `/` | report | reported;" in body
    assert "staging: intended correction staging/web/version -> 1.4.2 (through apply)" in lines


def test_first_seen_survives_later_runs_and_new_drift_gets_its_own_time(tmp_path: Path) -> None:
    port = RecordingPort()
    run(port, (HEALTH,), now=T1, tmp=tmp_path)
    issue = IssueRef(7, "Drift in staging", "", port.bodies["drift:staging"])
    run(port, (HEALTH, VERSION), now=T2, issue=issue, tmp=tmp_path)
    seen = first_seen(port.bodies["drift:staging"])
    assert seen == {
        "staging/web/healthcheck.path": "2026-11-01T08:00:00Z",
        "staging/web/version": "2026-11-02T08:00:00Z",
    }


def test_same_drift_gives_the_same_body_so_no_write_is_needed(tmp_path: Path) -> None:
    port = RecordingPort()
    run(port, (HEALTH,), now=T1, tmp=tmp_path)
    first = port.bodies["drift:staging"]
    run(port, (HEALTH,), now=T2, issue=IssueRef(7, "t", "", first), tmp=tmp_path)
    assert port.bodies["drift:staging"] == first


def test_an_environment_not_fully_observed_is_left_alone(tmp_path: Path) -> None:
    port = RecordingPort()
    issue = IssueRef(7, "Drift in staging", "", "body")
    lines = run(port, (), issue=issue, tmp=tmp_path, unreachable=(Unreachable("railway", "503"),))
    assert port.calls == []
    assert lines == ("staging: not fully observed; drift issue and PR left as they are",)


def test_github_unreachable_is_a_failure_not_silence(tmp_path: Path) -> None:
    source = tmp_path / "staging.yaml"
    source.write_text("environment: staging\n")
    env_plan = EnvironmentPlan("staging", changes=(HEALTH,))
    live = ObservedEnvironment("staging", T1, RailwayFacts())
    result = act(
        Plan((env_plan,)),
        ObservedState((live,)),
        {"staging": source},
        Unreachable("github", "401 Bad credentials"),
        now=T1,
        repo_path=str,
    )
    assert result.failed
    assert result.lines[0] == "GitHub unreachable, no issue or PR written: 401 Bad credentials"


def test_manual_fixes_are_explained_in_the_issue(tmp_path: Path) -> None:
    port = RecordingPort()
    manual = replace(
        HEALTH,
        field="variables.required",
        address="staging/web/variables.required",
        action=Action.MANUAL,
        why="required variable not set in Railway: JWT_SECRET",
    )
    run(port, (manual,), tmp=tmp_path)
    assert "needs a person: required variable not set in Railway: JWT_SECRET" in port.bodies["drift:staging"]


ADOPT_PR = IssueRef(8, "Adopt live drift into git: staging", "https://github.example/fixia/infra/pull/8", "p")


def test_an_open_adopt_pr_is_closed_when_nothing_drifts(tmp_path: Path) -> None:
    port = RecordingPort()
    lines = run(port, (), pull=ADOPT_PR, tmp=tmp_path)
    ((name, (number, comment)),) = port.calls
    assert (name, number) == ("close_pull", 8)
    assert "no field of **staging** with the `adopt` drift policy differs from git" in comment
    assert lines == (
        "staging: no drift",
        "staging: adopt PR #8 closed, nothing left to adopt; branch reconciler/adopt-drift-staging deleted",
    )


def test_an_open_adopt_pr_is_closed_when_only_reported_drift_is_left(tmp_path: Path) -> None:
    port = RecordingPort()
    run(port, (HEALTH,), pull=ADOPT_PR, tmp=tmp_path)
    assert [name for name, _ in port.calls] == ["close_pull", "report_issue"]
    assert "| report |" in port.bodies["drift:staging"] and "| adopt |" not in port.bodies["drift:staging"]


def test_an_open_adopt_pr_is_updated_not_closed_while_adopt_drift_lasts(tmp_path: Path) -> None:
    port = RecordingPort()
    run(port, (REPLICAS,), pull=ADOPT_PR, tmp=tmp_path)
    assert [name for name, _ in port.calls] == ["propose_change", "report_issue"]


def test_an_adopt_pr_is_left_alone_when_the_environment_was_not_fully_observed(tmp_path: Path) -> None:
    port = RecordingPort()
    run(port, (), pull=ADOPT_PR, tmp=tmp_path, unreachable=(Unreachable("railway", "503"),))
    assert port.calls == []


@pytest.mark.parametrize(
    ("seconds", "written", "expected"),
    [
        (60, "300s", "60s"),  # git wrote seconds: seconds
        (600, "5m", "10m"),  # git wrote minutes and they divide
        (90, "5m", "90s"),  # minutes cannot say 90 s exactly: seconds can
        (7200, "1h", "2h"),
        (9000, "1h30m", "2h30m"),  # compound stays compound
        (3600, "1h30m", "1h"),
        (120, "", "120s"),  # nothing to copy: seconds
    ],
)
def test_a_duration_is_written_in_the_units_git_used_where_exact(seconds: int, written: str, expected: str) -> None:
    assert duration_like(seconds, written) == expected


def test_an_adopted_timeout_is_a_duration_with_git_quoting(tmp_path: Path) -> None:
    source = tmp_path / "staging.yaml"
    source.write_text('services:\n  web:\n    healthcheck: {path: /, timeout: "5m"}  # slow start\n')
    timeout = change(
        "healthcheck.timeout", 600, 300, Policy.ADOPT, Action.ADOPT, ("services", "web", "healthcheck", "timeout")
    )
    port = RecordingPort()
    run(port, (replace(timeout, duration=True),), tmp=tmp_path)
    (edit,) = port.calls[0][1].files
    assert edit.content == b'services:\n  web:\n    healthcheck: {path: /, timeout: "10m"}  # slow start\n'
