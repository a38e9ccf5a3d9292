"""Helpers for the emulator's tests: send a GraphQL document, wait for a deployment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.sandbox.railway import EmulatorServer

Gql = Callable[..., dict[str, Any]]


def post(server: EmulatorServer, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
    headers = kwargs.pop("headers", {"Authorization": "Bearer test-token"})
    return httpx.post(server.url, json={"query": query, "variables": variables or {}}, headers=headers, **kwargs)


@pytest.fixture
def gql(railway_server: EmulatorServer) -> Gql:
    """Run a document against `railway_server`; returns `data`, failing the test on any GraphQL error."""

    def run(query: str, **variables: Any) -> dict[str, Any]:
        response = post(railway_server, query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    return run


def deployments(server: EmulatorServer, service_id: str, environment_id: str = "env-prod") -> list[dict[str, Any]]:
    """The service's deployments, newest first, as the API shows them."""
    query = """query($s: String!, $e: String!) { deployments(input: {serviceId: $s, environmentId: $e}) {
      edges { node { id status canRollback canRedeploy deploymentStopped url meta } } } }"""
    body = post(server, query, {"s": service_id, "e": environment_id}).json()
    return [edge["node"] for edge in body["data"]["deployments"]["edges"]]
