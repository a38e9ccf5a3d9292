"""The `plan` command over real sockets: exit codes, the three formats, unreachable providers, the PR comment."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.cli import main
from reconciler.observed import Unreachable
from reconciler.planning import close
from reconciler.providers.github.records import ChangeProposal, FileChange
from reconciler.sandbox.seed_desired import Differences
from tests.fixtures.world import RAILWAY_TOKEN, WORLD_REPO, WORLD_TOKEN, World
from tests.test_plan_integration import backups

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "docs" / "plan.schema.json").read_text())


@pytest.fixture
def world_differences() -> Differences:
    return Differences(versions={"production/api": "1.4.1"}, deploy={"production/web": {"healthcheckTimeout": 60}})


def env_for_cli(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAILWAY_API_URL", world.railway.url)
    monkeypatch.setenv("RAILWAY_API_TOKEN", RAILWAY_TOKEN)


def test_plan_command_exit_codes_and_formats(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_for_cli(world, monkeypatch)
    backups(world)
    assert main(["plan", "-e", "staging", "--detailed-exitcode"]) == 0
    assert "No changes. Live state matches git." in capsys.readouterr().out

    assert main(["plan", "-e", "production"]) == 0
    text = capsys.readouterr().out
    assert "~ production/api/version: 1.4.1 -> 1.4.2  [restarts, migrations, irreversible]" in text
    assert "~ production/web/healthcheck.timeout: 60 -> 120" in text

    assert main(["plan", "--detailed-exitcode", "--format", "json"]) == 2
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    addresses = [c["address"] for e in document["environments"] for c in e["changes"]]
    assert addresses == ["production/api/version", "production/web/healthcheck.timeout"]

    assert main(["plan", "--format", "markdown"]) == 0
    assert "| `production/api/version` | `1.4.1` | `1.4.2` | apply | correct |" in capsys.readouterr().out


def test_unreachable_railway_fails_the_plan_instead_of_showing_no_changes(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_for_cli(world, monkeypatch)
    world.railway.faults.add("error", "EnvironmentState", status=401)
    assert main(["plan", "--detailed-exitcode"]) == 1
    captured = capsys.readouterr()
    assert "production: INCOMPLETE (railway unreachable)" in captured.out
    assert "No changes" not in captured.out
    assert "error: the plan is incomplete: could not observe production/railway, staging/railway" in captured.err


def test_unreachable_database_is_named_without_its_password(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_for_cli(world, monkeypatch)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pl4nted-Passw0rd@127.0.0.1:1/app")
    assert main(["plan", "--format", "json"]) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    reasons = [u["reason"] for e in document["environments"] for u in e["unreachable"]]
    assert reasons and all("127.0.0.1:1/app" in r for r in reasons)
    for secret in ("pl4nted-Passw0rd", RAILWAY_TOKEN):
        assert secret not in captured.out + captured.err


def test_on_a_pull_request_the_plan_is_one_sticky_comment_and_a_job_summary(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_for_cli(world, monkeypatch)
    backups(world)
    providers = world.providers()
    assert not isinstance(providers.github, Unreachable) and providers.github is not None
    pull = providers.github.propose_change(
        ChangeProposal(
            branch="bump-api",
            title="Bump api",
            body="",
            message="bump",
            files=(FileChange("README.md", b"x\n", None),),
        )
    )
    close(providers)
    event = {
        "number": pull.number,
        "pull_request": {
            "number": pull.number,
            "title": "Bump api",
            "head": {"sha": pull.head_sha, "ref": "bump-api", "repo": {"full_name": WORLD_REPO}},
            "base": {"sha": "0" * 40, "ref": "main", "repo": {"full_name": WORLD_REPO}},
        },
        "repository": {"full_name": WORLD_REPO},
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    summary = tmp_path / "summary.md"
    for name, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": WORLD_REPO,
        "GITHUB_API_URL": world.github.base_url,
        "GITHUB_TOKEN": WORLD_TOKEN,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "77",
    }.items():
        monkeypatch.setenv(name, value)
    for _ in range(3):
        assert main(["plan"]) == 0
    comments = [c for c in world.repo.comments.values() if c.issue_number == pull.number]
    assert len(comments) == 1
    assert comments[0].body.startswith("<!-- reconciler:plan -->")
    assert "`production/api/version`" in comments[0].body
    assert summary.read_text().count("## Reconciler plan") == 3
    output = capsys.readouterr()
    assert WORLD_TOKEN not in output.out + output.err + comments[0].body


def test_a_forks_pull_request_plans_from_git_only_and_reads_nothing_live(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_for_cli(world, monkeypatch)
    event = {
        "number": 5,
        "pull_request": {
            "number": 5,
            "title": "from a fork",
            "head": {"sha": "a" * 40, "ref": "patch-1", "repo": {"full_name": "someone/infra"}},
            "base": {"sha": "b" * 40, "ref": "main", "repo": {"full_name": WORLD_REPO}},
        },
        "repository": {"full_name": WORLD_REPO},
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "event.json"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    world.railway.reset_counts()
    world.github.reset_counter()
    assert main(["plan", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "## Reconciler plan (from git only)" in out and "**not** a statement that there are no changes" in out
    assert "- **production**: api 1.4.2, web 1.4.2, worker 1.4.2" in out
    assert summary.read_text() == out
    assert sum(world.railway.requests_by_operation.values()) == 0
    assert world.github.count() == 0


def test_without_database_credentials_the_plan_says_the_database_was_not_observed(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_for_cli(world, monkeypatch)
    monkeypatch.delenv("DATABASE_URL")
    assert main(["plan", "-e", "staging"]) == 0
    out = capsys.readouterr().out
    assert "note: postgres: not observed, {env: DATABASE_URL} is not set" in out
