"""The three renderings of a plan, against golden files; the JSON against its committed schema; the markdown limit.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 pytest tests/test_render.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from reconciler.observed import Unreachable
from reconciler.plan_types import Action, Change, EnvironmentPlan, Kind, Plan, Policy, Risk, Step, StepKind
from reconciler.render import render_json, render_markdown, render_text
from reconciler.render.markdown import GITHUB_LIMIT

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
SCHEMA = json.loads((REPO / "docs" / "plan.schema.json").read_text())

WINDOW = Step("deploy-window", StepKind.GATE, "Mon-Fri 02:00-04:00 (UTC); closed now")
PROMOTION = Step("promotion", StepKind.GATE, "staging must already run 1.4.2 healthily (it runs 1.4.2)", True)
BACKUP = Step("backup", StepKind.STEP, "pg_dump to S3, verified before anything changes")
DEPLOY = Step("deploy", StepKind.STEP, "one Railway environment patch, wait for SUCCESS")
VERIFY = Step("verify", StepKind.STEP, "health /health, version /version, 1 smoke request")


def sample_plan() -> Plan:
    version = Change(
        address="production/api/version",
        environment="production",
        service="api",
        field="version",
        kind=Kind.UPDATE,
        before="1.4.1",
        after="1.4.2",
        why="git declares 1.4.2; 1.4.1 is running",
        policy=Policy.REPORT,
        action=Action.APPLY,
        steps=(WINDOW, PROMOTION, BACKUP, DEPLOY, VERIFY),
        risk=Risk(restarts=True, migrations=True, reversible=False),
        source_path=("services", "api", "version"),
    )
    replicas = Change(
        address="production/web/replicas",
        environment="production",
        service="web",
        field="replicas",
        kind=Kind.UPDATE,
        before=3,
        after=2,
        why="git declares 2 replicas; 3 are running",
        policy=Policy.ADOPT,
        action=Action.ADOPT,
        risk=Risk(scale_down=True),
        source_path=("services", "web", "replicas"),
    )
    variables = Change(
        address="production/worker/variables.required",
        environment="production",
        service="worker",
        field="variables.required",
        kind=Kind.UPDATE,
        before=("DATABASE_URL",),
        after=("DATABASE_URL", "JWT_SECRET"),
        why="required variable not set in Railway: JWT_SECRET | set it there",
        policy=Policy.REPORT,
        action=Action.MANUAL,
    )
    backup = Change(
        address="production/backups/freshness",
        environment="production",
        service=None,
        field="backups.freshness",
        kind=Kind.BACKUP,
        before="30h old",
        after="verified, at most 26h old",
        why="the newest verified backup (b-1) is 30h old, over max_age 26h",
        policy=Policy.CORRECT,
        action=Action.APPLY,
        steps=(Step("backup", StepKind.STEP, "pg_dump to S3 with a manifest"),),
    )
    production = EnvironmentPlan(
        environment="production",
        changes=(backup, version, replicas, variables),
        notes=("service cron runs in Railway but is not declared in git (left alone)",),
        steps=(Step("lock", StepKind.STEP, "one apply at a time"), WINDOW, PROMOTION, BACKUP, DEPLOY, VERIFY),
    )
    staging = EnvironmentPlan(environment="staging")
    preview = EnvironmentPlan(environment="preview", unreachable=(Unreachable("railway", "HTTP 503 after 4 tries"),))
    return Plan(environments=(production, staging, preview))


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
    assert actual == path.read_text()


def test_text_matches_golden_file() -> None:
    check_golden("plan.txt", render_text(sample_plan()))


def test_text_is_coloured_only_when_asked() -> None:
    assert "\033[" not in render_text(sample_plan())
    coloured = render_text(sample_plan(), color=True)
    assert "\033[33m~\033[0m" in coloured
    assert "\033[31m" in coloured


def test_markdown_matches_golden_file() -> None:
    check_golden("plan.md", render_markdown(sample_plan()))


def test_json_matches_golden_file_and_schema() -> None:
    output = render_json(sample_plan())
    check_golden("plan.json", output)
    document = json.loads(output)
    jsonschema.validate(document, SCHEMA)
    assert document["format_version"] == 1
    assert document["complete"] is False


def test_empty_plan_validates_and_says_no_changes() -> None:
    empty = Plan(environments=(EnvironmentPlan("staging"),))
    jsonschema.validate(json.loads(render_json(empty)), SCHEMA)
    assert render_text(empty).endswith("No changes. Live state matches git.\n")
    assert "- :white_check_mark: **staging**: no changes" in render_markdown(empty)


def test_schema_rejects_an_unknown_field() -> None:
    document = json.loads(render_json(sample_plan()))
    document["environments"][0]["changes"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def huge_plan(services: int) -> Plan:
    changes = tuple(
        Change(
            address=f"production/svc{i:04d}/version",
            environment="production",
            service=f"svc{i:04d}",
            field="version",
            kind=Kind.UPDATE,
            before="1.0.0",
            after="2.0.0",
            why="x" * 200,
            policy=Policy.REPORT,
            action=Action.APPLY,
            steps=(WINDOW, BACKUP, DEPLOY, VERIFY),
        )
        for i in range(services)
    )
    return Plan(environments=(EnvironmentPlan("production", changes=changes), EnvironmentPlan("staging")))


@pytest.mark.parametrize("services", [10, 400, 5000])
def test_markdown_never_passes_githubs_limit(services: int) -> None:
    output = render_markdown(huge_plan(services), summary_url="https://example.test/run/1")
    assert len(output) <= GITHUB_LIMIT
    assert output.startswith("## Reconciler plan\n")
    assert "**production**: " in output and "**staging**: no changes" in output  # summary lines always survive
    if services >= 400:
        assert "Plan cut to fit GitHub's comment limit" in output
        assert "https://example.test/run/1" in output
    else:
        assert "Plan cut" not in output


def test_markdown_cut_honours_a_small_limit() -> None:
    output = render_markdown(sample_plan(), limit=400)
    assert len(output) <= 400
    assert "job summary" in output


def test_markdown_escapes_pipes_in_cells() -> None:
    output = render_markdown(sample_plan())
    assert "JWT_SECRET \\| set it there" in output
