"""Tokens and variable values stay out of the emulator's reprs, errors and responses that do not ask for them."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox.railway import EmulatorServer
from reconciler.sandbox.railway.resolvers import Auth
from tests.sandbox_railway.conftest import post

PLANTED = "planted-secret-7d41c0"


@pytest.fixture
def railway_server(make_railway_server: Any) -> EmulatorServer:
    server: EmulatorServer = make_railway_server(processes=False)
    return server


def test_state_reprs_carry_no_variable_values(railway_server: EmulatorServer) -> None:
    em = railway_server.emulator
    em.upsert_variables("env-prod", "svc-api", {"PLANTED": PLANTED}, replace=False, skip=False)
    shown = repr(list(em.deployments.values())) + repr(list(em.environments.values()))
    assert em.latest_deployment("env-prod", "svc-api") is not None
    assert em.latest_deployment("env-prod", "svc-api").variables["PLANTED"] == PLANTED  # type: ignore[union-attr]
    assert PLANTED not in shown
    assert "jwt-secret-value" not in shown


def test_an_auth_repr_carries_no_token() -> None:
    assert PLANTED not in repr(Auth("project", PLANTED))


def test_no_response_echoes_the_callers_token(railway_server: EmulatorServer) -> None:
    headers = {"Authorization": f"Bearer {PLANTED}"}
    documents = [
        '{ environment(id: "nope") { id } }',
        "{ projectToken { projectId } }",
        '{ environment(id: "env-prod") { nonsense } }',
        "{ regions { name } }",
    ]
    for document in documents:
        assert PLANTED not in post(railway_server, document, headers=headers).text
    railway_server.faults.add("rate_limit", times=1)
    assert PLANTED not in post(railway_server, documents[0], headers=headers).text
