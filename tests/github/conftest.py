"""The GitHub provider's tests run PyGithub, through our adapter, against the stand-in over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.providers.github import GitHubRepo, GitHubSettings, connect
from reconciler.sandbox.github import GitHubStandIn, Repo
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


@pytest.fixture(autouse=True)
def fresh_masks() -> Iterator[None]:
    """Each test starts as a new process would: no secret registered for masking yet."""
    from reconciler import actions

    saved = set(actions._masked)
    actions._masked.clear()
    yield
    actions._masked.clear()
    actions._masked.update(saved)
