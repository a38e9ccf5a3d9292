"""The table of invalid documents: each one gives exactly these FILE:LINE:COL: message lines, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.load import load_desired_state
from reconciler.errors import InvalidInput
from tests.desired.cases import MINIMAL, write
from tests.planted import AWS_ACCESS_KEY, GITHUB_TOKEN, SLACK_TOKEN

HEAD = "environment: production\nrailway: {project: fixia, environment: production}\n"
BACKUPS = (
    "database: {{url: {{env: DATABASE_URL}}}}\n"
    "backups:\n  bucket: fixia-backups\n  schedule: {schedule}\n  retention: {{keep_last: 3}}\n"
)
API = "services:\n  api:\n    image: ghcr.io/fixia/api\n    version: '1.4.2'\n"

CASES: list[tuple[str, str | bytes, list[str]]] = [
    (
        "wrong type",
        HEAD + API + "    replicas: many\n",
        ["7:15: expected a whole number, got text"],
    ),
    (
        "a backup schedule that never fires",
        MINIMAL + BACKUPS.format(schedule="'0 3 30 2 *'"),
        ["8:13: the schedule '0 3 30 2 *' never fires"],
    ),
    (
        "backups rarer than their max age",
        MINIMAL + BACKUPS.format(schedule="'0 3 * * 1'") + "  max_age: 26h\n",
        [
            "10:12: max_age 26h is shorter than the longest gap between scheduled backups (7d): "
            "the newest backup would look stale before the next one is due"
        ],
    ),
    (
        "an unknown metric",
        MINIMAL + "verification:\n  metrics: {eror_rate: {max: 0.01}, queue_depth: {max: 100}}\n",
        [
            "6:13: unknown metric 'eror_rate'; did you mean 'error_rate'? (Railway's: error_rate, latency_p50_ms, "
            "latency_p95_ms, latency_p99_ms, cpu_percent, memory_percent; any other needs a Prometheus query)",
            "6:37: unknown metric 'queue_depth' (Railway's: error_rate, latency_p50_ms, "
            "latency_p95_ms, latency_p99_ms, cpu_percent, memory_percent; any other needs a Prometheus query)",
        ],
    ),
    (
        "an unknown drift field",
        MINIMAL + "drift: {fields: {replica: adopt, colour: report}}\n",
        [
            "5:18: unknown drift field 'replica'; did you mean 'replicas'?",
            "5:34: unknown drift field 'colour' (known: version, image, replicas, autoscaling, healthcheck, "
            "migrations, variables)",
        ],
    ),
    (
        "a service name with capitals",
        HEAD + "services:\n  API: {image: ghcr.io/fixia/api, version: '1'}\n",
        ["4:3: 'API' is not a service name (lowercase letters, digits, '-' and '_')"],
    ),
    (
        "wrong type for a mapping",
        HEAD + API + "    healthcheck: /health\n",
        ["7:18: expected a mapping, got text"],
    ),
    (
        "a version read as a number",
        HEAD + "services:\n  api: {image: ghcr.io/fixia/api, version: 1.10}\n",
        [
            "4:44: expected text, got a decimal number"
            " (put it in quotes: a number such as 1.10 would otherwise be read as 1.1)"
        ],
    ),
    (
        "unknown key with a close match",
        HEAD + API + "    replcas: 2\n",
        ["7:5: unknown key 'replcas'; did you mean 'replicas'?"],
    ),
    (
        "unknown key without a close match",
        HEAD + API + "    colour: blue\n",
        ["7:5: unknown key 'colour'"],
    ),
    (
        "unknown top-level key",
        MINIMAL + "notifcations: {slack: {env: SLACK_WEBHOOK_URL}}\n",
        ["5:1: unknown key 'notifcations'; did you mean 'notifications'?"],
    ),
    (
        "missing required key",
        "environment: production\nrailway: {project: fixia}\nservices:\n  api: {image: x, version: '1'}\n",
        ["2:10: missing required key 'environment'"],
    ),
    (
        "a value outside its choices",
        MINIMAL + "drift: {default: corect}\n",
        ["5:18: 'corect' is not one of 'correct', 'report' or 'adopt'; did you mean 'correct'?"],
    ),
    (
        "bad cron: out of range",
        MINIMAL + BACKUPS.format(schedule="'61 3 * * *'"),
        ["8:13: invalid cron expression: minute 61 is out of range 0-59"],
    ),
    (
        "bad cron: wrong number of fields",
        MINIMAL + BACKUPS.format(schedule="'0 3 * *'"),
        [
            "8:13: invalid cron expression: "
            "a cron expression has 5 fields (minute hour day-of-month month day-of-week), not 4"
        ],
    ),
    (
        "bad cron: a name that is not a day",
        MINIMAL + BACKUPS.format(schedule="'0 3 * * FUN'"),
        ["8:13: invalid cron expression: day of week 'FUN' is not a number or a name"],
    ),
    (
        "bad timezone",
        MINIMAL + "deploy_window: {timezone: Europe/Pari, allow: ['Mon-Fri 02:00-04:00']}\n",
        ["5:27: unknown timezone 'Europe/Pari'; did you mean 'Europe/Paris'?"],
    ),
    (
        "invalid window: ends before it starts",
        MINIMAL + "deploy_window:\n  allow: ['Mon 05:00-04:00']\n",
        [
            "6:11: window 'Mon 05:00-04:00' ends before it starts; "
            "split a window that crosses midnight in two (…-24:00 and 00:00-…)"
        ],
    ),
    (
        "invalid window: not a day",
        MINIMAL + "deploy_window:\n  allow: ['Mon-Fry 02:00-04:00']\n",
        ["6:11: 'Mon-Fry' is not a day or a range of days such as Mon-Fri"],
    ),
    (
        "invalid window: a day that does not exist",
        MINIMAL + "deploy_window:\n  deny: ['2026-02-30']\n",
        ["6:10: '2026-02-30' contains a day that does not exist"],
    ),
    (
        "overlapping allow windows",
        MINIMAL + "deploy_window:\n  allow:\n    - Mon-Fri 02:00-04:00\n    - Fri 03:00-05:00\n",
        ["8:7: window 'Fri 03:00-05:00' overlaps 'Mon-Fri 02:00-04:00' (allow item 1)"],
    ),
    (
        "overlapping deny dates",
        MINIMAL + "deploy_window:\n  deny: [2026-12-24/2026-12-26, 2026-12-26/2027-01-01]\n",
        ["6:33: window '2026-12-26/2027-01-01' overlaps '2026-12-24/2026-12-26' (deny item 1)"],
    ),
    (
        "autoscaling min > max",
        HEAD + API + "    replicas: 2\n    autoscaling: {min: 4, max: 3, cpu_percent: 70}\n",
        ["8:24: autoscaling min (4) is greater than max (3)"],
    ),
    (
        "fixed replicas outside the bounds",
        HEAD + API + "    replicas: 9\n    autoscaling: {min: 1, max: 5, cpu_percent: 70}\n",
        ["7:15: replicas (9) is outside the autoscaling bounds 1-5"],
    ),
    (
        "a literal GitHub token in a variable",
        HEAD + API + f"    variables: {{values: {{GH_TOKEN: {GITHUB_TOKEN}}}}}\n",
        [
            "7:36: this looks like a credential (GitHub token): secrets must not be written in the desired state; "
            "remove it (rotate it if it was real) and reference it by name instead, e.g. {env: NAME}"
        ],
    ),
    (
        "a literal connection string with a password",
        MINIMAL + "database: {url: 'postgresql://app:s3cr3t-pw@db.internal:5432/fixia'}\n",
        [
            "5:17: this looks like a credential (URL with a password): "
            "secrets must not be written in the desired state; "
            "remove it (rotate it if it was real) and reference it by name instead, e.g. {env: NAME}"
        ],
    ),
    (
        "a literal Slack token in a smoke header",
        HEAD + API + f"    smoke: [{{name: s, path: /, headers: {{Authorization: {SLACK_TOKEN}}}}}]\n",
        [
            "7:57: this looks like a credential (Slack token): secrets must not be written in the desired state; "
            "remove it (rotate it if it was real) and reference it by name instead, e.g. {env: NAME}"
        ],
    ),
    (
        "a literal AWS key in a smoke body",
        HEAD + API + f"    smoke: [{{name: s, path: /, json: {{key: {AWS_ACCESS_KEY}}}}}]\n",
        [
            "7:44: this looks like a credential (AWS access key): secrets must not be written in the desired state; "
            "remove it (rotate it if it was real) and reference it by name instead, e.g. {env: NAME}"
        ],
    ),
    (
        "a high-entropy literal in a secret field",
        MINIMAL + "notifications: {slack: 'T0Zx9Qp3LmN8vR2kW7yB4cJ6'}\n",
        [
            "5:24: this looks like a credential (password or key): secrets must not be written in the desired state; "
            "remove it (rotate it if it was real) and reference it by name instead, e.g. {env: NAME}"
        ],
    ),
    (
        "any literal in a secret field",
        MINIMAL + "notifications: {slack: see-the-wiki}\n",
        [
            "5:24: this is a literal value: secrets must not be written in the desired state; "
            "remove it (rotate it if it was real) and reference it by name instead, e.g. {env: NAME}"
        ],
    ),
    (
        "duplicate keys",
        HEAD + API + "  api: {image: ghcr.io/fixia/api2, version: '2'}\n",
        ["7:3: duplicate key 'api' (first defined on line 4)"],
    ),
    (
        "YAML syntax error",
        HEAD + "services:\n  api: {image: x, version: '1'\n",
        ["5:1: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping on line 4)"],
    ),
    (
        "a colon inside a plain value",
        HEAD + "services: api: x\n",
        ["3:14: invalid YAML: mapping values are not allowed in this context"],
    ),
    ("an empty file", "", ["1:1: the file is empty; expected a mapping with 'environment:'"]),
    ("only comments", "# nothing yet\n", ["1:1: the file is empty; expected a mapping with 'environment:'"]),
    (
        "top level is a list",
        "- environment: production\n",
        ["1:1: the top level must be a mapping (environment: …), not a list"],
    ),
    ("top level is text", "production\n", ["1:1: the top level must be a mapping (environment: …), not text"]),
    (
        "binary garbage",
        b"environment: production\n\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
        ["2:1: the file is not UTF-8 text (binary data or another encoding)"],
    ),
    (
        "a control character",
        "environment: production\nrailway: \x07\n",
        ["2:10: the file contains a control character (#x0007)"],
    ),
    (
        "a huge file",
        MINIMAL + "# padding\n" * 120_000,
        [f"1:1: the file is too large ({len(MINIMAL) + 1_200_000} bytes; the limit is 1048576)"],
    ),
    (
        "tabs for indentation",
        HEAD + "services:\n\tapi: {image: x, version: '1'}\n",
        ["4:1: invalid YAML: a tab character where YAML expects spaces; indent with spaces, not tabs"],
    ),
    (
        "an error inside an anchor is reported where the anchor is written",
        HEAD + "services:\n  api: &base {image: x, version: '1', replicas: -1}\n  web: *base\n",
        ["4:49: replicas must be at least 0, not -1"],
    ),
    (
        "an alias that expands beyond the limit",
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcde", "bcdef", strict=True)),
        ["1:1: the document has more than 100000 values once aliases are expanded"],
    ),
    (
        "an unsupported tag",
        MINIMAL + "drift: !!python/object:os.system {}\n",
        ["5:8: unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'"],
    ),
    (
        "two documents in one file",
        MINIMAL + "---\n" + MINIMAL,
        ["5:1: invalid YAML: but found another document (expected a single document in the stream on line 1)"],
    ),
    (
        "migrations without a backup before deploy",
        HEAD + API + "    migrations: {command: npm run db:migrate:prod}\n",
        [
            "7:17: service 'api' runs migrations but no backups are configured; require a backup before deploy "
            "or set waive_backup_before_migrations: true"
        ],
    ),
    (
        "the environment named unlike its file",
        MINIMAL.replace("environment: production\n", "environment: prod\n", 1),
        ["1:14: environment 'prod' must be named like its file, 'production'"],
    ),
    (
        "a promotion source that does not exist",
        MINIMAL + "promotion: {from: stagign}\n",
        ["5:19: promotion source 'stagign' is not an environment here (environments: none)"],
    ),
    (
        "several problems at once, in file order",
        HEAD + API + "    replicas: lots\n    helthcheck: {path: health}\n" + "drift: {default: maybe}\n",
        [
            "7:15: expected a whole number, got text",
            "8:5: unknown key 'helthcheck'; did you mean 'healthcheck'?",
            "9:18: 'maybe' is not one of 'correct', 'report' or 'adopt'",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in CASES], ids=[name for name, _, _ in CASES])
def test_invalid_document_reports_exact_positions_and_messages(
    tmp_path: Path, text: str | bytes, expected: list[str]
) -> None:
    path = write(tmp_path, "production.yaml", text)
    with pytest.raises(InvalidInput) as raised:
        load_desired_state(path)
    assert [str(problem) for problem in raised.value.problems] == [f"{path}:{line}" for line in expected]


SECRETS = [GITHUB_TOKEN, "s3cr3t-pw", SLACK_TOKEN]


@pytest.mark.parametrize("name", [name for name, _, _ in CASES if "literal" in name])
def test_literal_secrets_are_never_echoed(tmp_path: Path, name: str) -> None:
    text = next(text for case, text, _ in CASES if case == name)
    with pytest.raises(InvalidInput) as raised:
        load_desired_state(write(tmp_path, "production.yaml", text))
    output = str(raised.value)
    assert all(secret not in output for secret in [*SECRETS, AWS_ACCESS_KEY, "T0Zx9Qp3LmN8vR2kW7yB4cJ6"])


STAGING = MINIMAL.replace("production", "staging")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "production.yaml": MINIMAL + "promotion: {from: staging}\n",
                "staging.yaml": STAGING + "promotion: {from: production}\n",
            },
            [
                "production.yaml:5:19: promotion goes round in a cycle: production -> staging -> production",
                "staging.yaml:5:19: promotion goes round in a cycle: staging -> production -> staging",
            ],
        ),
        (
            {
                "production.yaml": MINIMAL
                + "  web: {image: ghcr.io/fixia/web, version: '1'}\npromotion: {from: staging}\n",
                "staging.yaml": STAGING,
            },
            ["production.yaml:5:3: service 'web' is not in staging, so it can never be promoted from there"],
        ),
        (
            {
                "production.yaml": MINIMAL,
                "staging.yaml": STAGING.replace("environment: staging}", "environment: production}"),
            },
            ["staging.yaml:2:10: Railway fixia/production is also the target of environment 'production'"],
        ),
        (
            {"production.yaml": MINIMAL + "promotion: {from: staging}\n", "staging.yaml": "environment: [\n"},
            [
                "staging.yaml:2:1: invalid YAML: did not find expected node content "
                "(while parsing a flow node on line 2)"
            ],
        ),
        (
            {"production.yaml": MINIMAL, "production.yml": MINIMAL},
            ["production.yml:1:14: environment 'production' is also in production.yaml"],
        ),
    ],
    ids=["promotion cycle", "service missing from the source", "shared Railway target", "broken source", "same name"],
)
def test_problems_across_environment_files(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(InvalidInput) as raised:
        load_desired_state(tmp_path)
    assert [str(problem) for problem in raised.value.problems] == [f"{tmp_path}/{line}" for line in expected]
