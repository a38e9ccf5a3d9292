"""The Actions runtime: real webhook payloads, outputs, summary, annotations, groups and masks."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler import actions, secrets
from reconciler.errors import GateRefused, InvalidInput, PermanentError, Problem

# shared/ sits beside the work tree, here and in CI's fresh clone.
EVENTS = Path(__file__).resolve().parents[2] / "shared" / "github" / "events"


def examples(name: str) -> list[dict[str, Any]]:
    data = json.loads((EVENTS / f"{name}.json").read_text())
    assert isinstance(data, list) and data
    return data


@pytest.fixture(autouse=True)
def forget_masks() -> Iterator[None]:
    saved = set(actions._masked)
    yield
    actions._masked.clear()
    actions._masked.update(saved)


@pytest.fixture
def runner_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Pretend to be inside Actions, with the output and summary files the runner would provide."""
    output, summary = tmp_path / "output", tmp_path / "summary"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return output, summary


def write_event(tmp_path: Path, payload: dict[str, Any]) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return str(path)


# --- events ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(examples("pull_request"))))
def test_every_real_pull_request_payload_parses(tmp_path: Path, index: int) -> None:
    payload = examples("pull_request")[index]
    env = {"GITHUB_EVENT_PATH": write_event(tmp_path, payload), "GITHUB_EVENT_NAME": "pull_request"}
    event = actions.read_event(env)
    assert event is not None and event.pull_request is not None
    assert event.pull_request.number == payload["pull_request"]["number"] == 2
    assert event.sha == payload["pull_request"]["head"]["sha"]
    assert event.repository == "Codertocat/Hello-World"
    assert event.pull_request.base_ref == payload["pull_request"]["base"]["ref"]
    assert not event.is_fork and event.secrets_allowed
    assert not event.apply_allowed
    assert event.changed_files is None  # the payload does not list files; the provider can


@pytest.mark.parametrize("index", range(len(examples("push"))))
def test_every_real_push_payload_parses(tmp_path: Path, index: int) -> None:
    payload = examples("push")[index]
    env = {"GITHUB_EVENT_PATH": write_event(tmp_path, payload), "GITHUB_EVENT_NAME": "push"}
    event = actions.read_event(env)
    assert event is not None and event.pull_request is None
    assert event.sha == payload["after"] and event.ref == payload["ref"]
    assert event.default_branch == "master"
    assert event.apply_allowed is (event.ref == "refs/heads/master")  # a tag push never applies


def test_push_payload_lists_changed_files(tmp_path: Path) -> None:
    payload = next(p for p in examples("push") if p["commits"])
    event = actions.read_event({"GITHUB_EVENT_PATH": write_event(tmp_path, payload), "GITHUB_EVENT_NAME": "push"})
    assert event is not None
    assert event.changed_files == ("README.md",)
    assert event.ref == "refs/heads/master" and event.apply_allowed


def test_push_with_twenty_commits_does_not_claim_to_know_its_files(tmp_path: Path) -> None:
    payload = copy.deepcopy(next(p for p in examples("push") if p["commits"]))
    payload["commits"] = payload["commits"] * 20
    event = actions.read_event({"GITHUB_EVENT_PATH": write_event(tmp_path, payload), "GITHUB_EVENT_NAME": "push"})
    assert event is not None and event.changed_files is None


@pytest.mark.parametrize("index", range(len(examples("workflow_dispatch"))))
def test_every_real_workflow_dispatch_payload_parses(tmp_path: Path, index: int) -> None:
    payload = copy.deepcopy(examples("workflow_dispatch")[index])
    payload["inputs"] = {"environment": "production", "dry_run": False}
    env = {
        "GITHUB_EVENT_PATH": write_event(tmp_path, payload),
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_SHA": "a" * 40,
    }
    event = actions.read_event(env)
    assert event is not None
    assert event.name == "workflow_dispatch" and event.sha == "a" * 40
    assert event.ref == payload["ref"]
    assert event.inputs == {"environment": "production", "dry_run": "False"}
    assert event.apply_allowed


def fork_payload() -> dict[str, Any]:
    payload = copy.deepcopy(examples("pull_request")[0])
    head_repo = payload["pull_request"]["head"]["repo"]
    head_repo["full_name"] = "mallory/Hello-World"
    head_repo["fork"] = True
    return payload


def test_a_fork_pull_request_plans_without_secrets_and_never_applies(tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_PATH": write_event(tmp_path, fork_payload()), "GITHUB_EVENT_NAME": "pull_request"}
    event = actions.read_event(env)
    assert event is not None and event.is_fork
    assert not event.secrets_allowed and not event.apply_allowed
    with pytest.raises(GateRefused, match="apply refused: this run was triggered by a fork's pull request"):
        actions.require_apply_allowed(event)


def test_a_deleted_fork_counts_as_a_fork(tmp_path: Path) -> None:
    payload = copy.deepcopy(examples("pull_request")[0])
    payload["pull_request"]["head"]["repo"] = None
    event = actions.read_event({"GITHUB_EVENT_PATH": write_event(tmp_path, payload)})
    assert event is not None and event.name == "pull_request" and event.is_fork


def test_even_a_same_repository_pull_request_never_applies(tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_PATH": write_event(tmp_path, examples("pull_request")[0]), "GITHUB_EVENT_NAME": "pull_request"}
    with pytest.raises(GateRefused, match="a pull_request event"):
        actions.require_apply_allowed(actions.read_event(env))


def test_pull_request_target_never_applies(tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_PATH": write_event(tmp_path, fork_payload()), "GITHUB_EVENT_NAME": "pull_request_target"}
    event = actions.read_event(env)
    assert event is not None and not event.apply_allowed


def test_a_push_or_dispatch_off_the_default_branch_never_applies(tmp_path: Path) -> None:
    payload = copy.deepcopy(next(p for p in examples("push") if p["commits"]))
    payload["ref"] = "refs/heads/feature"
    event = actions.read_event({"GITHUB_EVENT_PATH": write_event(tmp_path, payload), "GITHUB_EVENT_NAME": "push"})
    assert event is not None and not event.apply_allowed
    with pytest.raises(GateRefused, match=r"^apply refused: refs/heads/feature is not the default branch \(master\)$"):
        actions.require_apply_allowed(event)
    dispatch = copy.deepcopy(examples("workflow_dispatch")[0])
    dispatch["ref"] = "refs/heads/feature"
    env = {"GITHUB_EVENT_PATH": write_event(tmp_path, dispatch), "GITHUB_EVENT_NAME": "workflow_dispatch"}
    event = actions.read_event(env)
    assert event is not None and not event.apply_allowed


def test_a_schedule_may_apply(tmp_path: Path) -> None:
    payload = {"schedule": "17 */6 * * *", "repository": examples("push")[0]["repository"]}
    env = {
        "GITHUB_EVENT_PATH": write_event(tmp_path, payload),
        "GITHUB_EVENT_NAME": "schedule",
        "GITHUB_SHA": "b" * 40,
        "GITHUB_REF": "refs/heads/master",
    }
    event = actions.read_event(env)
    assert event is not None and event.name == "schedule" and event.sha == "b" * 40 and event.apply_allowed


def test_local_run_has_no_event_and_may_apply() -> None:
    assert actions.read_event({}) is None
    actions.require_apply_allowed(None)


def test_unreadable_event_payload_is_one_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text("{not json")
    with pytest.raises(InvalidInput) as caught:
        actions.read_event({"GITHUB_EVENT_PATH": str(path)})
    assert len(caught.value.problems) == 1
    assert str(caught.value.problems[0]).startswith(f"{path}:0:0: cannot read the GitHub event payload: ")


# --- outputs, summary, annotations, groups --------------------------------------------------------------------------


def test_output_uses_the_multiline_delimiter_form(runner_files: tuple[Path, Path]) -> None:
    output, _ = runner_files
    actions.set_output("matrix", '{"environment": ["staging"]}')
    actions.set_output("notes", "line one\nline two")
    lines = output.read_text().splitlines()
    assert lines[0].startswith("matrix<<ghadelimiter_") and lines[1] == '{"environment": ["staging"]}'
    assert lines[2] == lines[0].removeprefix("matrix<<")
    assert lines[3].startswith("notes<<ghadelimiter_") and lines[4:6] == ["line one", "line two"]
    assert lines[6] == lines[3].removeprefix("notes<<")
    assert lines[0] != lines[3]  # a fresh delimiter per output


def test_outputs_outside_actions_are_plain_lines(capsys: pytest.CaptureFixture[str]) -> None:
    actions.set_output("changes", "3")
    assert capsys.readouterr().err == "changes=3\n"


def test_a_secret_is_never_an_output(runner_files: tuple[Path, Path]) -> None:
    actions.mask("s3cr3t-value-123")
    with pytest.raises(ValueError, match="would carry a secret"):
        actions.set_output("leak", "x s3cr3t-value-123")


def test_summary_appends_markdown_under_actions(runner_files: tuple[Path, Path]) -> None:
    _, summary = runner_files
    actions.job_summary("## Plan\n\n- one")
    actions.job_summary("## Second")
    assert summary.read_text() == "## Plan\n\n- one\n## Second\n"


def test_summary_is_cut_at_one_mebibyte(runner_files: tuple[Path, Path]) -> None:
    _, summary = runner_files
    actions.job_summary("x" * (2 * actions.SUMMARY_LIMIT))
    text = summary.read_text()
    assert len(text.encode()) <= actions.SUMMARY_LIMIT
    assert text.rstrip().endswith("_(summary cut at GitHub's 1 MiB limit; the full output is in the job log)_")


def test_summary_outside_actions_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    actions.job_summary("## Plan")
    assert capsys.readouterr().out == "## Plan\n"


def test_annotation_under_actions_escapes_its_properties(
    runner_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    actions.annotate("warning", "50% over\nbudget", file="desired-state/a,b.yaml", line=3, column=7, title="T: x")
    assert capsys.readouterr().out == (
        "::warning file=desired-state/a%2Cb.yaml,line=3,col=7,title=T%3A x::50%25 over%0Abudget\n"
    )


def test_annotation_outside_actions_is_file_line_col(capsys: pytest.CaptureFixture[str]) -> None:
    actions.annotate("error", "bad version", file="desired-state/production.yaml", line=12, column=5)
    assert capsys.readouterr().err == "desired-state/production.yaml:12:5: error: bad version\n"


def test_problem_annotation_only_under_actions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = Problem("desired-state/staging.yaml", 4, 3, "unknown key 'replica'")
    actions.error_annotation(problem)
    assert capsys.readouterr() == ("", "")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    actions.error_annotation(problem)
    assert capsys.readouterr().out == "::error file=desired-state/staging.yaml,line=4,col=3::unknown key 'replica'\n"


def test_groups_and_stopped_commands(runner_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    with actions.group("plan production"), actions.commands_stopped():
        print("::error::injected by a PR title")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "::group::plan production"
    assert out[1].startswith("::stop-commands::")
    token = out[1].removeprefix("::stop-commands::")
    assert len(token) == 32 and out[2] == "::error::injected by a PR title"
    assert out[3] == f"::{token}::" and out[4] == "::endgroup::"


def test_groups_outside_actions_are_headings(capsys: pytest.CaptureFixture[str]) -> None:
    with actions.group("drift staging"):
        pass
    assert capsys.readouterr().err == "==> drift staging\n"


def test_run_url_points_at_the_run() -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42"}
    assert actions.run_url(env) == "https://github.com/o/r/actions/runs/42"
    assert actions.run_url({}) is None


# --- secrets ---------------------------------------------------------------------------------------------------------

PLANTED = "ghs_PLANTEDtoken0123456789abcdefABCDEF"


def test_even_a_short_secret_is_masked(runner_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    actions.mask("abc")
    assert capsys.readouterr().out == "::add-mask::abc\n"
    assert actions.redact("xabcx") == "x***x"


def test_every_secret_read_is_masked_under_actions(
    runner_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAILWAY_TOKEN", PLANTED)
    assert secrets.resolve({"env": "RAILWAY_TOKEN"}) == PLANTED
    assert capsys.readouterr().out == f"::add-mask::{PLANTED}\n"
    secrets.resolve("RAILWAY_TOKEN")  # once per value per job is enough
    assert capsys.readouterr().out == ""


def test_a_multiline_secret_is_masked_line_by_line(
    runner_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "-----BEGIN KEY-----\nAAAAbbbbCCCC\nDDDDeeee\n-----END KEY-----"
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", key)
    secrets.resolve("GITHUB_APP_PRIVATE_KEY")
    masked = capsys.readouterr().out.splitlines()
    assert "::add-mask::AAAAbbbbCCCC" in masked and "::add-mask::DDDDeeee" in masked
    assert all(line.startswith("::add-mask::") for line in masked)


def test_secret_values_never_reach_output_outside_actions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", PLANTED)
    secrets.resolve(type("Ref", (), {"env": "SLACK_WEBHOOK_URL"})())
    actions.annotate("error", f"request failed with {PLANTED}")
    actions.job_summary(f"token: {PLANTED}")
    out, err = capsys.readouterr()
    assert PLANTED not in out + err
    assert "request failed with ***" in err and "token: ***" in out


def test_a_missing_secret_names_the_variable_only(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PermanentError, match=r"secret \{env: DATABASE_URL\} is not set: export DATABASE_URL"):
        secrets.resolve({"env": "DATABASE_URL"})
    assert secrets.resolve_optional("DATABASE_URL") is None
    with pytest.raises(PermanentError, match="not a secret reference"):
        secrets.resolve({"value": "x"})


def test_clean_environ_strips_github_variables() -> None:
    assert not any(name.startswith("GITHUB_") for name in os.environ)


def test_environments_matrix_becomes_a_step_output(
    runner_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.cli import main

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    output, _ = runner_files
    assert main(["environments", "--format", "json", "--output", "matrix"]) == 0
    printed = capsys.readouterr().out.strip()
    lines = output.read_text().splitlines()
    assert lines[0].startswith("matrix<<ghadelimiter_") and lines[1] == printed and len(lines) == 3
    assert [e["environment"] for e in json.loads(printed)["include"]] == ["staging", "production"]


def test_environments_as_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.cli import main

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    assert main(["environments"]) == 0
    assert capsys.readouterr().out == "staging\nproduction  (promotes from staging)\n"
