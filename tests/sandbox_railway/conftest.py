"""Helpers for the emulator's tests: send a GraphQL document, wait for a deployment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.railway import EmulatorServer

Gql = Callable[..., dict[str, Any]]


_client: list[httpx.Client] = []


@pytest.fixture(scope="session", autouse=True)
def _shared_client() -> Iterator[None]:
    yield
    for client in _client:
        client.close()


def post(server: EmulatorServer, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
    """POST a GraphQL document (one pooled client: building an httpx client per request costs ~0.1 s)."""
    if not _client:
        _client.append(httpx.Client())
    headers = kwargs.pop("headers", {"Authorization": "Bearer test-token"})
    return _client[0].post(server.url, json={"query": query, "variables": variables or {}}, headers=headers, **kwargs)


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
