"""Clients wired to the Railway emulator over a real loopback socket, with quick polling for tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reconciler.providers.railway import PollPolicy, RailwayClient, RetryPolicy
from reconciler.sandbox.railway import EmulatorServer

FAST_POLL = PollPolicy(initial=0.05, factor=1.5, max_interval=0.3, settle=0.05)
FAST_RETRY = RetryPolicy(max_attempts=4, max_total_seconds=10, base_delay=0.05, max_delay=0.2)

ClientFactory = Callable[..., RailwayClient]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    made: list[RailwayClient] = []

    def make(server: EmulatorServer, token: str = "account-token", variable: str = "RAILWAY_API_TOKEN", **kw: object):
        options: dict[str, object] = {"retry": FAST_RETRY, "poll": FAST_POLL, "timeout": 5.0, **kw}
        client = RailwayClient.from_env(server.url, environ={variable: token}, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()


@pytest.fixture
def client(railway_server: EmulatorServer, make_client: ClientFactory) -> RailwayClient:
    return make_client(railway_server)
