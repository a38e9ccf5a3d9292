"""The small parsers behind the models: durations, cron, deploy windows, literal-secret detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.desired.cron import parse_cron
from reconciler.desired.durations import format_duration, parse_duration
from reconciler.desired.model import DeployWindow, DriftPolicy, Service
from reconciler.desired.secrets import SecretRef, credential_kind
from reconciler.desired.windows import parse_dates, parse_weekly
from tests.planted import AWS_ACCESS_KEY, GITHUB_TOKEN, PRIVATE_KEY_HEADER, SLACK_TOKEN


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("26h", 93600), ("1h30m", 5400), ("7d", 604800), ("2w", 1209600)],
)
def test_durations_parse_to_timedelta_and_back(text: str, seconds: int) -> None:
    value = parse_duration(text)
    assert value == timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("text", ["5", "5 minutes", "m5", "0s", "-5m", "1.5h", ""])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_cron_ranges_steps_lists_and_names() -> None:
    schedule = parse_cron("*/15 2-4 1,15 JAN-mar MON-FRI")
    assert schedule.minutes == {0, 15, 30, 45}
    assert schedule.hours == {2, 3, 4}
    assert schedule.months == {1, 2, 3}
    assert schedule.weekdays == {1, 2, 3, 4, 5}
    # Both day fields restricted: cron fires when either matches.
    assert schedule.matches(datetime(2026, 1, 15, 3, 30))  # a Thursday, and the 15th
    assert schedule.matches(datetime(2026, 1, 5, 3, 30))  # a Monday
    assert not schedule.matches(datetime(2026, 1, 3, 3, 30))  # a Saturday, the 3rd
    assert not schedule.matches(datetime(2026, 4, 15, 3, 30))  # April


def test_cron_sunday_is_0_or_7() -> None:
    assert parse_cron("0 3 * * 7").weekdays == parse_cron("0 3 * * SUN").weekdays == {0}


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 24 * * *", "hour 24 is out of range 0-23"),
        ("0 3 0 * *", "day of month 0 is out of range 1-31"),
        ("0 3 * 13 *", "month 13 is out of range 1-12"),
        ("5-1 * * * *", "minute range '5-1' runs backwards"),
        ("*/0 * * * *", "minute step '0' must be a whole number above 0"),
        ("@daily", "cron macros such as @daily are not supported; write five fields, such as '0 3 * * *'"),
        ("0 3 * * * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week), not 6"),
        ("0 3 ,1 * *", "day of month has an empty item"),
    ],
)
def test_bad_cron_says_which_field(expression: str, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_cron(expression)
    assert str(raised.value) == reason


def test_weekly_windows_wrap_and_print_back() -> None:
    assert parse_weekly("Fri-Mon 22:00-24:00").days == {4, 5, 6, 0}
    assert str(parse_weekly("Mon-Fri 02:00-04:00")) == "Mon-Fri 02:00-04:00"
    assert str(parse_weekly("02:00-04:00")) == "daily 02:00-04:00"
    assert str(parse_dates("2026-12-31")) == "2026-12-31"


def test_deploy_window_is_open_only_inside_allow_and_outside_deny() -> None:
    window = DeployWindow.model_validate(
        {"timezone": "Europe/Paris", "allow": ["Mon-Fri 02:00-04:00"], "deny": ["2026-12-24/2026-12-26"]}
    )
    tuesday_3am_paris = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 03:00 in Paris (UTC+1)
    assert window.is_open(tuesday_3am_paris)
    assert not window.is_open(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # 04:00 Paris: end is exclusive
    assert not window.is_open(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))  # Saturday
    assert not window.is_open(datetime(2026, 12, 24, 2, 0, tzinfo=UTC))  # Thursday, but denied
    assert DeployWindow().is_open(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))  # no allow list: any time


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (GITHUB_TOKEN, "GitHub token"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijkl", "GitHub token"),
        (SLACK_TOKEN, "Slack token"),
        (AWS_ACCESS_KEY, "AWS access key"),
        ("postgresql://app:pw@db:5432/x", "URL with a password"),
        ("https://hooks.slack.com/services/T0/B0/xyz", "webhook URL"),
        (PRIVATE_KEY_HEADER, "private key"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "JSON Web Token",
        ),
    ],
)
def test_known_credentials_are_recognised(value: str, kind: str) -> None:
    assert credential_kind(value) == kind


@pytest.mark.parametrize(
    "value", ["production", "https://fixia.app", "postgresql://db:5432/x", "ghp_", "npm run db:migrate:prod", "AKIA"]
)
def test_ordinary_values_are_not_credentials(value: str) -> None:
    assert credential_kind(value) is None


def test_high_entropy_counts_only_where_a_secret_belongs() -> None:
    value = "T0Zx9Qp3LmN8vR2kW7yB4cJ6"
    assert credential_kind(value) is None
    assert credential_kind(value, secret_context=True) == "password or key"
    assert credential_kind("a long sentence with several words in it", secret_context=True) is None


def test_drift_policy_falls_back_to_its_default() -> None:
    policy = DriftPolicy.model_validate({"default": "report", "fields": {"replicas": "adopt"}})
    assert policy.policy_for("replicas") == "adopt"
    assert policy.policy_for("version") == "report"


def test_replica_bounds_come_from_autoscaling_or_the_fixed_count() -> None:
    fixed = Service.model_validate({"image": "x", "version": "1", "replicas": 2})
    scaled = Service.model_validate(
        {"image": "x", "version": "1", "replicas": 2, "autoscaling": {"min": 1, "max": 5, "cpu_percent": 70}}
    )
    assert fixed.replica_bounds == (2, 2)
    assert scaled.replica_bounds == (1, 5)
    assert scaled.autoscaling is not None and scaled.autoscaling.scale_down_window == timedelta(minutes=5)


def test_a_repo_source_targets_its_commit() -> None:
    service = Service.model_validate({"repo": "fixia/api", "commit": "0123abcd"})
    assert (service.source, service.target_version, service.image_ref) == ("repo", "0123abcd", None)


def test_credentials_named_by_their_key_are_refused_whatever_they_look_like() -> None:
    from pydantic import ValidationError

    from reconciler.desired.model import SmokeRequest

    for request in (
        {"name": "a", "path": "/", "json": {"email": "smoke@fixia.app", "password": "hunter2"}},
        {"name": "a", "path": "/", "headers": {"Authorization": "Bearer abc"}},
        {"name": "a", "path": "/", "headers": {"X-Api-Key": "k"}},
    ):
        with pytest.raises(ValidationError) as raised:
            SmokeRequest.model_validate(request)
        assert "this is a literal value: secrets must not be written" in str(raised.value)
        assert "hunter2" not in str(raised.value.errors(include_input=False))
    ok = SmokeRequest.model_validate(
        {"name": "a", "path": "/", "headers": {"Authorization": {"env": "TOKEN"}}, "json": {"password": {"env": "PW"}}}
    )
    assert ok.headers["Authorization"] == SecretRef(env="TOKEN")
    assert ok.json_body == {"password": SecretRef(env="PW")}


def test_a_maintenance_task_may_be_just_its_name() -> None:
    from reconciler.desired.model import Maintenance, MaintenanceTask

    maintenance = Maintenance.model_validate(
        {"weekly": ["Review slow queries", {"name": "Restore", "check": "restore_test"}]}
    )
    assert maintenance.weekly == [
        MaintenanceTask(name="Review slow queries"),
        MaintenanceTask(name="Restore", check="restore_test"),
    ]
