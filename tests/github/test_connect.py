"""Connecting: settings from the Actions environment, a token or an App, and no secret in any output."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reconciler import actions
from reconciler.cli import main
from reconciler.errors import PermanentError, ProviderError
from reconciler.providers.github import GitHubSettings, IssueReport, connect, settings_from_env
from reconciler.sandbox.github import GitHubStandIn, Repo
from reconciler.sandbox.github.faults import server_error
from tests.fixtures.github import GITHUB_REPO, GITHUB_TEST_TOKEN
from tests.github.conftest import settings_for

pytestmark = pytest.mark.integration  # PyGithub against the stand-in over a loopback socket


def test_settings_come_from_the_actions_environment() -> None:
    env = {"GITHUB_REPOSITORY": "fixia/infra", "GITHUB_API_URL": "https://ghe.example/api/v3"}
    settings = settings_from_env(env)
    assert (settings.repository, settings.base_url, settings.owner) == ("fixia/infra", env["GITHUB_API_URL"], "fixia")
    assert settings_from_env({"GITHUB_REPOSITORY": "o/r"}).base_url == "https://api.github.com"
    with pytest.raises(PermanentError, match="GitHub repository unknown: set GITHUB_REPOSITORY=owner/name"):
        settings_from_env({})


def test_no_credentials_is_one_clear_error() -> None:
    with pytest.raises(PermanentError) as caught:
        connect(GitHubSettings("fixia/infra"), {})
    assert str(caught.value) == ("no GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")


def test_an_app_without_its_key_names_the_missing_variable() -> None:
    with pytest.raises(PermanentError, match=r"secret \{env: GITHUB_APP_PRIVATE_KEY\} is not set"):
        connect(GitHubSettings("fixia/infra"), {"GITHUB_APP_ID": "12345"})


def test_connecting_sends_nothing(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    github_stand_in.reset_counter()
    with connect(settings_for(github_stand_in), {"GITHUB_TOKEN": GITHUB_TEST_TOKEN}) as gh:
        assert repr(gh) == f"GitHubRepo('{GITHUB_REPO}')"
    assert github_stand_in.count() == 0


def pem_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_an_app_installation_token_is_requested_from_the_configured_api(capsys: pytest.CaptureFixture[str]) -> None:
    key = pem_key()
    env = {"GITHUB_APP_ID": "12345", "GITHUB_APP_PRIVATE_KEY": key, "GITHUB_APP_INSTALLATION_ID": "77"}
    # Not validating: the slice has no App endpoints, and the stand-in does not issue App tokens. What matters
    # here is that the token exchange goes to base_url, with a signed JWT, and only on first use.
    with GitHubStandIn() as stand_in:
        stand_in.add_repo(GITHUB_REPO)
        with connect(settings_for(stand_in), env) as gh:
            assert stand_in.count() == 0
            with pytest.raises(ProviderError) as caught:
                gh.find_issue("drift", "k")
        assert [r.path for r in stand_in.requests] == ["/app/installations/77/access_tokens"]
    assert str(caught.value) == "GitHub listing open issues labelled 'drift': Not Found (404)"
    out, err = capsys.readouterr()
    assert all(line.strip() not in out + err + str(caught.value) for line in key.splitlines()[1:-1])


def test_a_planted_token_never_appears_in_any_output(
    github_stand_in: GitHubStandIn,
    github_repo: Repo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # PyGithub and urllib3 log requests at DEBUG
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TEST_TOKEN)
    errors: list[str] = []
    with connect(settings_for(github_stand_in), None) as gh:
        gh.report_issue(IssueReport("drift:production", "drift", "Drift", f"token is {GITHUB_TEST_TOKEN}"))
        gh.sticky_comment(1, "plan")
        github_stand_in.faults.add(server_error(502), method="POST", times=2)
        for attempt in (lambda: gh.create_deployment("production", "main"), lambda: gh.find_issue("nope", "x")):
            try:
                attempt()
            except ProviderError as e:
                errors += [str(e), repr(e)]
                actions.annotate("error", str(e))
        actions.job_summary(f"ran with {GITHUB_TEST_TOKEN}")
        errors.append(repr(gh))
    assert main(["environments", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    # Under Actions the one place the value appears is the ::add-mask:: command that tells the runner to hide it.
    assert [line for line in out.splitlines() if GITHUB_TOKEN_IN(line)] == [f"::add-mask::{GITHUB_TEST_TOKEN}"]
    for text in (err, caplog.text, summary.read_text(), *errors):
        assert GITHUB_TEST_TOKEN not in text
    assert "ran with ***" in summary.read_text()
    assert len(errors) == 3  # the 502 twice: a temporary error, seen and reported without the token


def GITHUB_TOKEN_IN(line: str) -> bool:  # noqa: N802 (reads as a sentence in the assertion)
    return GITHUB_TEST_TOKEN in line


def test_no_pygithub_type_leaks_out_of_the_adapter() -> None:
    import inspect
    import re
    import typing

    from reconciler.providers.github import GitHubRepo

    for name, method in inspect.getmembers(GitHubRepo, inspect.isfunction):
        if name.startswith("_"):
            continue
        for annotation in typing.get_type_hints(method).values():
            assert not re.search(r"(?<![\w.])github\.", repr(annotation)), f"GitHubRepo.{name} exposes {annotation}"
