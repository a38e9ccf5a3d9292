"""Drift end to end over real sockets: Railway emulator, GitHub stand-in, PostgreSQL and SeaweedFS.

A replica count is changed "in the dashboard"; drift runs twice and leaves exactly one issue and one adopt PR whose
diff touches exactly one line; the change is reverted and the issue is closed.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.drift import act
from reconciler.observe import observe
from reconciler.plan import plan
from reconciler.planning import close
from tests.fixtures.world import RAILWAY_TOKEN, WORLD_REPO, WORLD_TOKEN, World

pytestmark = pytest.mark.integration


@pytest.fixture
def world_edit() -> object:
    def edit(name: str, text: str) -> str:
        if name == "staging":
            return text.replace("drift: {default: correct}", "drift: {default: report, fields: {replicas: adopt}}")
        return text

    return edit


def run_drift(world: World, now: datetime = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)) -> tuple[str, ...]:
    providers = world.providers()
    try:
        desired = world.desired
        observed = observe(desired, providers)
        result = act(
            plan(desired, observed),
            observed,
            dict(desired.sources),
            providers.github,  # type: ignore[arg-type]
            now=now,
            repo_path=lambda p: f"desired-state/{p.name}",
        )
    finally:
        close(providers)
    assert not result.failed, result.lines
    return result.lines


def open_issues(world: World, label: str) -> list[object]:
    return [i for i in world.repo.issues.values() if not i.is_pull and i.state == "open" and label in i.labels]


def open_pulls(world: World) -> list[int]:
    return [n for n in world.repo.pulls if world.repo.issues[n].state == "open"]


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


IDLE_BUDGET = 3  # GitHub requests of a scheduled drift run that finds nothing (tests/github/test_budget.py)


def test_nothing_drifted_and_nothing_open_makes_one_github_request_for_all_environments(world: World) -> None:
    # A lived-in repository: a person's drift-labelled issue, an old closed drift issue and a closed adopt PR.
    world.set_replicas("staging", "web", 3)
    run_drift(world)
    world.set_replicas("staging", "web", 1)
    run_drift(world)
    assert open_issues(world, "drift") == [] and open_pulls(world) == []
    world.repo.commit_files({"notes.md": "x\n"}, message="unrelated")
    world.github.reset_counter()

    lines = run_drift(world)

    assert "staging: no drift" in lines and "production: no drift" in lines
    made = [(r.method, r.route) for r in world.github.requests]
    assert made == [("GET", "/repos/{owner}/{repo}/issues")]  # drift issues and adopt PRs of every environment
    assert len(made) <= IDLE_BUDGET
    print(f"idle drift run, 2 environments: {len(made)} GitHub request(s) (budget {IDLE_BUDGET})")


def test_dashboard_replica_change_gives_one_issue_and_one_single_line_pr_then_closes(world: World) -> None:
    world.set_replicas("staging", "web", 3)

    first = run_drift(world)
    second = run_drift(world)

    assert "staging: drift staging/web/replicas: live 3, git 1 (adopt)" in first
    issues = open_issues(world, "drift")
    assert len(issues) == 1, issues
    issue = issues[0]
    assert issue.title == "Drift in staging: live differs from git"  # type: ignore[attr-defined]
    assert "| `staging/web/replicas` | `3` | `1` | adopt |" in issue.body  # type: ignore[attr-defined]
    assert "2026-11-26T23:00:00Z" in issue.body  # type: ignore[attr-defined]
    assert any(line.endswith("unchanged") for line in second if "drift issue" in line)

    pulls = list(world.repo.pulls.values())
    assert len(pulls) == 1
    branch = pulls[0].head
    assert branch == "reconciler/adopt-drift-staging"
    before = world.repo_text("desired-state/staging.yaml")
    after = world.repo_text("desired-state/staging.yaml", pulls[0].head)
    diff = changed_lines(before, after)
    assert len(diff) == 2, diff  # one line out, one line in
    assert diff[0].strip() == "-    replicas: 1" and diff[1].strip() == "+    replicas: 3"

    world.set_replicas("staging", "web", 1)
    third = run_drift(world)
    assert any("issue" in line and line.endswith("closed") for line in third), third
    assert open_issues(world, "drift") == []
    # The adopt PR has nothing left to adopt: closed with a comment saying why, its branch (ours alone) deleted.
    number = pulls[0].number
    assert world.repo.issues[number].state == "closed"
    assert f"staging: adopt PR #{number} closed, nothing left to adopt; branch {branch} deleted" in third
    (said,) = [c.body for c in world.repo.comments.values() if c.issue_number == number]
    assert "has nothing left to adopt" in said
    assert world.repo.branch_sha(branch) is None

    fourth = run_drift(world)
    assert set(fourth) == {"production: no drift", "staging: no drift"}  # nothing open, nothing to close


def test_an_adopt_pr_closes_while_reported_drift_stays_in_the_issue(world: World) -> None:
    world.set_replicas("staging", "web", 3)
    run_drift(world)
    (number,) = open_pulls(world)
    world.set_replicas("staging", "web", 1)
    world.set_deploy("staging", "web", healthcheckPath="/ready")  # reported, not adopted

    lines = run_drift(world)

    assert open_pulls(world) == [], lines
    assert any(line.startswith(f"staging: adopt PR #{number} closed") for line in lines), lines
    (issue,) = open_issues(world, "drift")
    assert "| `staging/web/healthcheck.path` | `/ready` | `/` | report |" in issue.body  # type: ignore[attr-defined]
    assert "replicas" not in issue.body  # type: ignore[attr-defined]


def test_planted_tokens_never_appear_in_drift_output_or_github(world: World) -> None:
    world.set_replicas("staging", "web", 2)
    lines = "\n".join(run_drift(world))
    everything = lines + "".join(str(i.body) for i in world.repo.issues.values())
    for secret in (WORLD_TOKEN, world.database_url):
        assert secret not in everything


def test_the_drift_command_job_summary_notes_the_open_adopt_pr(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    for name, value in {
        "RAILWAY_API_URL": world.railway.url,
        "RAILWAY_API_TOKEN": RAILWAY_TOKEN,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": WORLD_REPO,
        "GITHUB_API_URL": world.github.base_url,
        "GITHUB_TOKEN": WORLD_TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    world.set_replicas("staging", "web", 3)
    run_drift(world)  # the PR is opened by the world's unpaced client (the command spaces writes a second apart)
    (number,) = open_pulls(world)

    assert main(["drift", "-e", "staging"]) == 0

    text = summary.read_text()
    assert f"adopt PR #{number} is open: Adopt live drift into git: staging (" in text, text
    assert "### What drift did" in text and f"- staging: adopt PR #{number} unchanged" in text
    out = capsys.readouterr()
    printed = [line for line in (out.out + out.err).splitlines() if not line.startswith("::add-mask::")]
    assert WORLD_TOKEN not in "\n".join(printed) + text  # the runner's mask command is the one place it goes


def test_first_seen_is_carried_across_runs_and_a_clean_run_closes_the_issue_as_completed(world: World) -> None:
    world.set_deploy("staging", "web", healthcheckPath="/ready")  # reported
    run_drift(world, now=datetime(2026, 11, 26, 6, 0, tzinfo=UTC))
    world.set_replicas("staging", "web", 3)  # adopted, six hours later
    run_drift(world, now=datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    world.github.reset_counter()
    third = run_drift(world, now=datetime(2026, 11, 26, 18, 0, tzinfo=UTC))  # nothing new: nothing rewritten

    (issue,) = open_issues(world, "drift")
    assert f"staging: drift issue #{issue.number} unchanged" in third  # type: ignore[attr-defined]
    assert world.github.count("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}") == 0
    body = issue.body  # type: ignore[attr-defined]
    rows = {line.split(" | ")[0]: line.rsplit(" | ", 1)[1] for line in body.splitlines() if line.startswith("| `")}
    assert rows == {
        "| `staging/web/healthcheck.path`": "2026-11-26T06:00:00Z |",
        "| `staging/web/replicas`": "2026-11-26T12:00:00Z |",
    }
    assert "2026-11-26T18:00:00Z" not in body

    world.set_deploy("staging", "web", healthcheckPath="/")
    world.set_replicas("staging", "web", 1)
    lines = run_drift(world, now=datetime(2026, 11, 27, 0, 0, tzinfo=UTC))

    number = issue.number  # type: ignore[attr-defined]
    assert f"staging: no drift; issue #{number} closed" in lines
    closed = world.repo.issues[number]
    assert (closed.state, closed.state_reason) == ("closed", "completed")
    assert [c.body for c in world.repo.comments.values() if c.issue_number == number] == [
        "Live matches git again; closing."
    ]
    assert open_issues(world, "drift") == [] and open_pulls(world) == []
