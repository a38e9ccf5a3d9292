"""`reconciler validate` and `reconciler schema` from the command line: exit codes and exact output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.desired.cases import MINIMAL, write
from tests.planted import GITHUB_TOKEN

STAGING = """\
environment: staging
railway: {project: fixia, environment: staging}
services:
  api:
    image: ghcr.io/fixia/api
    version: "1.4.2"
    autoscaling: {min: 1, max: 3, cpu_percent: 70}
    healthcheck: {path: /health}
    migrations: {command: npm run db:migrate:prod}
database: {url: {env: DATABASE_URL}}
backups:
  bucket: fixia-backups
  prefix: staging/
  schedule: "0 3 * * *"
  retention: {keep_last: 3, keep_within: 2d}
"""
PRODUCTION = MINIMAL + "promotion: {from: staging}\ndeploy_window: {allow: ['Mon-Fri 02:00-04:00']}\n"
TOKEN = GITHUB_TOKEN


@pytest.fixture
def desired(tmp_path: Path) -> Path:
    write(tmp_path, "staging.yaml", STAGING)
    write(tmp_path, "production.yaml", PRODUCTION)
    return tmp_path


def test_valid_state_prints_a_summary_of_each_environment(desired: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(desired)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == (
        f"staging: Railway fixia/staging ({desired}/staging.yaml)\n"
        "  services:\n"
        "    api  ghcr.io/fixia/api:1.4.2\n"
        "         replicas 1, autoscaling 1-3 (cpu 70%); health /health; migrations\n"
        "  deploy window: any time\n"
        "  approval:      restore, destructive\n"
        "  database:      {env: DATABASE_URL}\n"
        "  backups:       s3://fixia-backups/staging/ at '0 3 * * *'; before deploy: required; "
        "keep last 3, within 2d; max age 26h; restore test weekly\n"
        "  verification:  watch 15m\n"
        "  rollback:      automatic\n"
        "  drift:         report\n"
        "  maintenance:   none\n"
        "\n"
        f"production: Railway fixia/production ({desired}/production.yaml)\n"
        "  services:\n"
        "    api  ghcr.io/fixia/api:1.4.2\n"
        "         replicas 1\n"
        "  promotion:     from staging\n"
        "  deploy window: Mon-Fri 02:00-04:00 (UTC)\n"
        "  approval:      restore, destructive\n"
        "  database:      none\n"
        "  backups:       none\n"
        "  verification:  watch 15m\n"
        "  rollback:      automatic\n"
        "  drift:         report\n"
        "  maintenance:   none\n"
        "\n"
        "2 environments valid: staging, production.\n"
    )


def test_environment_option_limits_the_summary(desired: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(desired), "--environment", "production"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("production: Railway fixia/production") and "staging: Railway" not in out
    assert out.endswith("1 environment valid: production.\n")
    assert main(["validate", str(desired), "-e", "prod"]) == 1
    assert capsys.readouterr().err == (
        "Usage: reconciler validate [OPTIONS] [PATH]\n"
        "Try 'reconciler validate --help' for help.\n\n"
        "Error: Invalid value for '--environment': no environment named 'prod' (environments: production, staging)\n"
    )


def test_json_format_gives_the_validated_state(desired: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(desired), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["environments"]) == ["staging", "production"]
    staging = report["environments"]["staging"]
    assert staging["file"] == f"{desired}/staging.yaml"
    assert staging["desired"]["database"] == {"url": {"env": "DATABASE_URL"}, "alert_connections_above": None}
    assert staging["desired"]["backups"]["retention"]["keep_within"] == "2d"
    assert report["environments"]["production"]["desired"]["promotion"] == {"from": "staging", "min_soak": None}


def test_one_file_can_be_validated_alone(desired: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(desired / "production.yaml")]) == 0
    assert capsys.readouterr().out.endswith("1 environment valid: production.\n")


def test_problems_go_to_stderr_one_per_line_with_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "production.yaml", MINIMAL + "replicas: 2\ndrift: {default: maybe}\n")
    write(tmp_path, "staging.yaml", "environment: staging\n")
    assert main(["validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{tmp_path}/production.yaml:5:1: unknown key 'replicas'\n"
        f"{tmp_path}/production.yaml:6:18: 'maybe' is not one of 'correct', 'report' or 'adopt'\n"
        f"{tmp_path}/staging.yaml:1:1: missing required key 'railway'\n"
        f"{tmp_path}/staging.yaml:1:1: missing required key 'services'\n"
        "4 problems found.\n"
    )


def test_under_actions_each_problem_is_also_an_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    write(tmp_path, "production.yaml", MINIMAL + "drift: {default: maybe}\n")
    assert main(["validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    message = "'maybe' is not one of 'correct', 'report' or 'adopt'"
    path = f"{tmp_path}/production.yaml"
    assert out == f"::error file={path},line=5,col=18::{message}\n"
    assert err == f"{path}:5:18: {message}\n1 problem found.\n"


def test_json_format_reports_problems_on_stdout_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "production.yaml", MINIMAL + "drift: {default: maybe}\n")
    assert main(["validate", str(tmp_path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "valid": False,
        "problems": [
            {
                "file": f"{tmp_path}/production.yaml",
                "line": 5,
                "column": 18,
                "message": "'maybe' is not one of 'correct', 'report' or 'adopt'",
            }
        ],
    }


def test_a_missing_path_is_a_problem_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err == f"{tmp_path}/nowhere:0:0: no such file or directory\n1 problem found.\n"


def test_an_empty_directory_is_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"{tmp_path}:0:0: no environment files (*.yaml) here\n1 problem found.\n"


def test_a_mistyped_format_is_a_usage_error_exit_1(desired: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(desired), "--format", "yaml"]) == 1
    assert "Invalid value for '--format': 'yaml' is not one of 'text', 'json'." in capsys.readouterr().err


def test_default_path_is_desired_state(
    desired: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (desired / "desired-state").mkdir()
    write(desired / "desired-state", "production.yaml", MINIMAL)
    monkeypatch.chdir(desired)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("production: Railway fixia/production (desired-state/production.yaml)\n")


def test_a_planted_token_never_appears_in_any_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    planted = [
        f"notifications: {{slack: {TOKEN}}}\n",
        f"database: {{url: 'postgresql://app:{TOKEN}@db/x'}}\n",
        f"{TOKEN}: 1\n",
        f"drift: {{default: {TOKEN}}}\n",
        f"railway: {TOKEN}\n",
        f"services: {{api: {{image: x, version: '1', variables: {{values: {{JWT_SECRET: {TOKEN}}}}}}}}}\n",
        f"services: {{api: {{image: x, version: '1', smoke: [{{name: a, path: /, json: [{TOKEN}]}}]}}}}\n",
        f"{TOKEN}\n",
        f"- {TOKEN}\n",
        f"environment: production\n\t{TOKEN}\n",
    ]
    for text in planted:
        write(
            tmp_path, "production.yaml", MINIMAL + text if not text.startswith(("- ", "ghp", "environment")) else text
        )
        for output_format in ("text", "json"):
            assert main(["validate", str(tmp_path), "--format", output_format]) == 1
            out, err = capsys.readouterr()
            assert TOKEN not in out + err, text
            assert TOKEN[4:20] not in out + err, text


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    committed = Path(__file__).resolve().parents[2] / "desired-state" / "schema.json"
    assert capsys.readouterr().out == committed.read_text(encoding="utf-8")


def test_schema_command_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.json"
    assert main(["schema", "--output", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "reconciler desired state (one environment)"
