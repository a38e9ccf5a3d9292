"""The GitHub provider's tests run PyGithub, through our adapter, against the stand-in over a real socket."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from reconciler.providers.github import GitHubRepo, GitHubSettings, connect
from reconciler.sandbox.github import GitHubStandIn, Repo
from reconciler.sandbox.github.faults import Fault, server_error
from reconciler.sandbox.github.routing import Response
from tests.fixtures.github import GITHUB_REPO, GITHUB_TEST_TOKEN


def settings_for(stand_in: GitHubStandIn, **overrides: object) -> GitHubSettings:
    """Production settings except the pacing: no gaps between requests, no backoff, a short wait cap."""
    values: dict[str, object] = {
        "repository": GITHUB_REPO,
        "base_url": stand_in.base_url,
        "request_gap": None,
        "write_gap": None,
        "backoff": 0.0,
        "max_wait": 5.0,
    }
    values.update(overrides)
    return GitHubSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def gh(github_stand_in: GitHubStandIn, github_repo: Repo) -> Iterator[GitHubRepo]:
    """Our adapter on the stand-in's seeded repository, authenticated with the planted test token."""
    with connect(settings_for(github_stand_in), {"GITHUB_TOKEN": GITHUB_TEST_TOKEN}) as repo:
        github_stand_in.reset_counter()
        yield repo


class LosesAnswers(GitHubStandIn):
    """A stand-in whose next matching write takes effect but whose answer is lost (a 502 from the front end).

    That is the case PyGithub's default retry gets wrong: re-sending the POST duplicates the write.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lost: dict[tuple[str, str], Fault] = {}

    def lose_next(self, method: str, route: str, answer: Fault | None = None) -> None:
        """The next successful METHOD on ROUTE takes effect, then answers `answer` (default: a 502)."""
        self.lost[(method, route)] = answer or server_error(502)

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw_body: bytes) -> Response:
        answer = super().handle(method, target, headers, raw_body)
        key = (method, self.requests[-1].route or "")
        if key in self.lost and answer.status < 300:
            fault = self.lost.pop(key)
            return Response(fault.status, dict(fault.body), dict(fault.headers))
        return answer


@pytest.fixture(autouse=True)
def fresh_masks() -> Iterator[None]:
    """Each test starts as a new process would: no secret registered for masking yet."""
    from reconciler import actions

    saved = set(actions._masked)
    actions._masked.clear()
    yield
    actions._masked.clear()
    actions._masked.update(saved)
