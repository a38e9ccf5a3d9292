"""A planted token never shows up in logs, output, error messages or reprs, whatever goes wrong.

The fake server here is hostile on purpose: it echoes the token back in its error messages.
"""

from __future__ import annotations

import logging

import httpx
import pytest

from reconciler.providers.railway import RailwayClient, RetryPolicy
from reconciler.providers.railway.errors import OutcomeUnknown
from reconciler.providers.railway.transport import credentials_from_env

TOKEN = "planted-railway-token-5f1d9c"


def hostile(request: httpx.Request) -> httpx.Response:
    name = httpx.Response(200, content=request.content).json()["operationName"]
    auth = request.headers.get("Authorization", "") + request.headers.get("Project-Access-Token", "")
    if name == "Deployment":
        return httpx.Response(200, json={"errors": [{"message": f"Not Authorized: token {auth} rejected"}]})
    if name == "LatestDeployment":
        return httpx.Response(200, json={"errors": [{"message": f"weird failure for {auth}"}]})
    if name == "DeploymentRestart":
        return httpx.Response(502, text=f"upstream saw {auth}")
    raise httpx.ReadTimeout(f"timed out talking with {auth}")


@pytest.mark.parametrize("variable", ["RAILWAY_API_TOKEN", "RAILWAY_TOKEN"])
def test_planted_token_never_appears_in_any_output(
    variable: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    client = RailwayClient.from_env(
        "http://railway.test/graphql/v2",
        environ={variable: TOKEN},
        retry=RetryPolicy(max_attempts=2, base_delay=0.0),
        http_transport=httpx.MockTransport(hostile),
    )
    texts = [repr(client), str(client), repr(client.transport), repr(credentials_from_env({variable: TOKEN}))]
    failures: list[BaseException] = []
    for call in (
        lambda: client.deployment("d1"),
        lambda: client.latest_deployment("e", "s"),
        lambda: client.restart("d1"),
        lambda: client.observe_environment("env-1"),
    ):
        with pytest.raises(Exception) as raised:  # noqa: B017 - each call fails differently; all are checked below
            call()
        failures.append(raised.value)
    assert any(isinstance(f, OutcomeUnknown) for f in failures)
    for failure in failures:
        texts += [str(failure), repr(failure), repr(failure.args)]
        cause = failure.__cause__ or failure.__context__
        assert cause is None or TOKEN not in str(cause)
    out, err = capsys.readouterr()
    texts += [out, err, caplog.text]
    assert caplog.records, "debug logging was captured"
    leaked = [t for t in texts if TOKEN in t]
    assert leaked == []
    client.close()


def test_variable_values_being_written_are_scrubbed_from_errors_that_echo_them() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        values = httpx.Response(200, content=request.content).json()["variables"]["input"]["variables"]
        return httpx.Response(200, json={"errors": [{"message": f"Invalid value {values['API_KEY']!r}"}]})

    client = RailwayClient.from_env(
        "http://railway.test/graphql/v2", environ={"RAILWAY_API_TOKEN": TOKEN}, http_transport=httpx.MockTransport(echo)
    )
    with pytest.raises(Exception) as raised:  # noqa: B017 - the message is what is checked
        client.upsert_variables("p", "e", "s", {"API_KEY": "sk-live-abcdef123"})
    assert "sk-live-abcdef123" not in str(raised.value) and "***" in str(raised.value)
    client.close()
