"""The workflows in .github/workflows: parsed, and held to the security and operating rules they promise."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import main

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = sorted(p.stem for p in WORKFLOWS.glob("*.yml"))
RECONCILER_WORKFLOWS = ["apply", "autoscale", "backup", "drift", "maintenance", "plan", "restore", "rollback"]
SCHEDULED = ["autoscale", "backup", "drift", "maintenance"]
# The pins in use; a bump changes them here and in every workflow at once.
PINNED = {
    "actions/checkout": "3d3c42e5aac5ba805825da76410c181273ba90b1",
    "actions/setup-python": "5fda3b95a4ea91299a34e894583c3862153e4b97",
    "aws-actions/configure-aws-credentials": "e6de054238d6b7531b4efff3b6587d9aade6a06c",
}


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return dict(load(name)["jobs"])


def steps(name: str) -> list[dict[str, Any]]:
    return [step for job in jobs(name).values() for step in job.get("steps", [])]


def test_every_workflow_exists() -> None:
    assert set(RECONCILER_WORKFLOWS) | {"ci"} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_by_full_sha_with_its_version(name: str) -> None:
    text = (WORKFLOWS / f"{name}.yml").read_text()
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for target, comment in uses:
        action, _, ref = target.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{target} is not pinned by a full commit SHA"
        assert PINNED.get(action) == ref, f"{action} pinned to an unknown SHA"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{target}: add the version as a comment"


@pytest.mark.parametrize("name", NAMES)
def test_permissions_are_empty_at_the_top_and_each_grant_says_why(name: str) -> None:
    assert load(name)["permissions"] == {}
    text = (WORKFLOWS / f"{name}.yml").read_text().splitlines()
    for job_name, job in jobs(name).items():
        assert "permissions" in job, f"{name}/{job_name} has no permissions of its own"
        assert "write-all" not in str(job["permissions"])
        for scope in job["permissions"]:
            lines = [line for line in text if re.match(rf"\s+{scope}: (read|write)", line)]
            assert lines and all("  # " in line for line in lines), f"{name}: {scope} without a comment"


@pytest.mark.parametrize("name", NAMES)
def test_no_dangerous_triggers_and_no_persisted_credentials(name: str) -> None:
    triggers = load(name)["on"]
    assert "pull_request_target" not in triggers and "workflow_run" not in triggers
    for step in steps(name):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", NAMES)
def test_untrusted_strings_reach_scripts_only_through_env(name: str) -> None:
    for step in steps(name):
        assert "${{" not in step.get("run", ""), f"{name}: an expression inside run: {step.get('name')}"


@pytest.mark.parametrize("name", NAMES)
def test_aws_is_reached_by_oidc_never_by_keys(name: str) -> None:
    text = (WORKFLOWS / f"{name}.yml").read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for job_name, job in jobs(name).items():
        uses_aws = any("configure-aws-credentials" in s.get("uses", "") for s in job.get("steps", []))
        assert uses_aws == (job["permissions"].get("id-token") == "write"), f"{name}/{job_name}"


@pytest.mark.parametrize("name", RECONCILER_WORKFLOWS)
def test_the_project_is_installed_from_the_lock_file(name: str) -> None:
    for job_name, job in jobs(name).items():
        runs = [s.get("run", "") for s in job["steps"]]
        assert "scripts/bootstrap --no-dev --no-extra sandbox" in runs, f"{name}/{job_name}"


def test_pull_requests_only_plan_and_forks_get_no_secrets() -> None:
    for name in NAMES:
        workflow = load(name)
        if "pull_request" not in workflow["on"]:
            continue
        for job in workflow["jobs"].values():
            assert "environment" not in job
            for step in job["steps"]:
                assert "reconciler apply" not in step.get("run", "")
    plan = jobs("plan")["plan"]
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    for step in plan["steps"]:
        touches_secrets = "secrets." in str(step) or "configure-aws-credentials" in step.get("uses", "")
        if touches_secrets:
            assert step.get("if") == same_repo, f"plan step {step.get('name')} must not run for forks"
    assert load("plan")["on"]["pull_request"]["paths"] == ["desired-state/**"]
    assert any(step.get("run") == ".venv/bin/reconciler validate" for step in plan["steps"])


def test_secrets_are_used_only_in_jobs_bound_to_an_environment() -> None:
    for name in RECONCILER_WORKFLOWS:
        for job_name, job in jobs(name).items():
            if "secrets." in str(job) and name != "plan":  # plan: a read-only token, same-repo PRs only
                assert "environment" in job, f"{name}/{job_name} reads secrets outside an environment"


def test_apply_goes_staging_then_production_behind_approval_never_cancelled() -> None:
    workflow = load("apply")
    assert workflow["on"] == {"push": {"branches": ["main"], "paths": ["desired-state/**"]}}
    staging, production = jobs("apply")["staging"], jobs("apply")["production"]
    assert (staging["environment"], production["environment"]) == ("staging", "production")
    assert production["needs"] == "staging"
    assert staging["concurrency"] == {"group": "apply-staging", "cancel-in-progress": False}
    assert production["concurrency"] == {"group": "apply-production", "cancel-in-progress": False}
    assert "concurrency" not in workflow


@pytest.mark.parametrize("name", SCHEDULED)
def test_scheduled_work_has_its_own_groups_never_applys(name: str) -> None:
    workflow = load(name)
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    for cron in workflow["on"]["schedule"]:
        minute = cron["cron"].split()[0]
        assert minute not in ("0", "*"), "avoid minute 0: GitHub delays and drops runs at the top of the hour"
    for job in jobs(name).values():
        group = job["concurrency"]["group"]
        assert group.startswith(f"{name}-") and not group.startswith("apply")
        assert job["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("name", SCHEDULED)
def test_scheduled_work_runs_one_job_per_environment_from_the_desired_state(name: str) -> None:
    listing, work = jobs(name)["environments"], jobs(name)[name]
    assert listing["steps"][-1]["run"] == ".venv/bin/reconciler environments --format json --output matrix"
    assert listing["outputs"]["matrix"] == "${{ steps.list.outputs.matrix }}"
    assert work["needs"] == "environments"
    assert work["strategy"]["matrix"] == "${{ fromJSON(needs.environments.outputs.matrix) }}"
    assert work["strategy"]["fail-fast"] is False
    assert work["environment"] == "${{ matrix.environment }}-ops"


def test_the_matrix_command_lists_the_repositorys_environments(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.chdir(ROOT)
    assert main(["environments", "--format", "json"]) == 0
    matrix = json.loads(capsys.readouterr().out)
    names = [entry["environment"] for entry in matrix["include"]]
    assert names == ["staging", "production"]  # promotion source first
    for name in ("rollback", "restore"):
        options = load(name)["on"]["workflow_dispatch"]["inputs"]["environment"]["options"]
        assert sorted(options) == sorted(names), f"{name}: its environment choices must match desired-state/"


def test_rollback_and_restore_are_dispatched_with_typed_inputs() -> None:
    for name in ("rollback", "restore"):
        inputs = load(name)["on"]["workflow_dispatch"]["inputs"]
        assert set(load(name)["on"]) == {"workflow_dispatch"}
        assert inputs["environment"]["type"] == "choice" and inputs["environment"]["required"] is True
        assert all(spec["type"] in ("choice", "string", "boolean", "number") for spec in inputs.values())
    restore = jobs("restore")["restore"]
    assert restore["environment"] == "${{ inputs.environment }}"  # production: its reviewers approve
    rollback = jobs("rollback")["rollback"]
    assert rollback["concurrency"]["group"] == "apply-${{ inputs.environment }}"  # never alongside an apply


def test_invalid_desired_state_fails_validation_and_the_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "desired-state").mkdir()
    (tmp_path / "desired-state" / "staging.yaml").write_text("environment: staging\nrailway: 3\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1
    assert main(["environments"]) == 1


@pytest.mark.skipif(shutil.which("zizmor", path=str(ROOT / ".venv" / "bin")) is None, reason="zizmor not installed")
def test_zizmor_finds_nothing() -> None:
    zizmor = shutil.which("zizmor", path=str(ROOT / ".venv" / "bin"))
    assert zizmor is not None
    done = subprocess.run(
        [zizmor, "--offline", "--strict-collection", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def _run_step(name: str, step_name: str, env: dict[str, str], tmp_path: Path) -> list[str]:
    """Run a workflow step's script with bash against a stand-in `.venv/bin/reconciler`; return the argv it got."""
    (step,) = [s for s in steps(name) if s.get("name") == step_name]
    stub = tmp_path / ".venv" / "bin" / "reconciler"
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text('#!/bin/bash\nprintf "%s\\n" "$@" > "$ARGV_OUT"\n')
    stub.chmod(0o755)
    out = tmp_path / "argv"
    subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "ARGV_OUT": str(out), **env},
        check=True,
    )
    return out.read_text().splitlines()


@pytest.mark.parametrize("backup", ["", "scheduled-20261127T031500Z"])
def test_restore_names_its_target_by_variable_and_gives_the_live_url_to_compare(backup: str, tmp_path: Path) -> None:
    (step,) = [s for s in steps("restore") if s.get("name") == "restore into a new database"]
    assert step["env"]["RESTORE_DATABASE_URL"] == "${{ secrets.RESTORE_DATABASE_URL }}"
    assert step["env"]["DATABASE_URL"] == "${{ secrets.DATABASE_URL }}"
    secret = "postgresql://u:PLANTED-restore-pw@db.example/app"
    env = {"RESTORE_DATABASE_URL": secret, "ENVIRONMENT": "staging", "BACKUP": backup}
    argv = _run_step("restore", "restore into a new database", env, tmp_path)
    assert argv == ["backup", "restore", *([backup] if backup else []), "--environment", "staging", "--to",
                    "env:RESTORE_DATABASE_URL"]  # fmt: skip
    assert all("PLANTED" not in a for a in argv)


def test_the_weekly_restore_test_never_gets_the_live_database(tmp_path: Path) -> None:
    (step,) = [s for s in steps("backup") if s.get("name") == "restore test"]
    assert "DATABASE_URL" not in step["env"]
    assert step["env"]["SCRATCH_DATABASE_URL"] == "${{ secrets.SCRATCH_DATABASE_URL }}"
    argv = _run_step("backup", "restore test", {"ENVIRONMENT": "production"}, tmp_path)
    assert argv == ["backup", "verify", "--environment", "production", "--level", "full"]
    assert "live" not in argv
