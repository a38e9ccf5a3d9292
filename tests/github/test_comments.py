"""The sticky plan comment: one per PR, found by its hidden marker, edited in place, cut at GitHub's limit."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.providers.github import BODY_LIMIT, GitHubRepo, marker
from reconciler.sandbox.github import GitHubStandIn, Repo
from tests.github.helpers import comment, open_pull

pytestmark = pytest.mark.integration  # PyGithub against the stand-in over a loopback socket

COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
COMMENT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"


@pytest.fixture
def number(github_client: Any, github_stand_in: GitHubStandIn) -> int:
    """A pull request a person opened; the counter starts after it."""
    opened = open_pull(github_client, "bump-api")
    github_stand_in.reset_counter()
    return opened


def comments_on(repo: Repo, number: int) -> list[str]:
    return [c.body for c in repo.comments.values() if c.issue_number == number]


def test_comment_is_edited_not_duplicated_across_three_pushes(
    gh: GitHubRepo, github_repo: Repo, github_stand_in: GitHubStandIn, number: int
) -> None:
    first = gh.sticky_comment(number, "plan after push 1")
    second = gh.sticky_comment(number, "plan after push 2")
    third = gh.sticky_comment(number, "plan after push 3")
    assert (first.action, second.action, third.action) == ("created", "updated", "updated")
    assert first.number == second.number == third.number
    assert comments_on(github_repo, number) == [f"{marker('plan')}\nplan after push 3"]
    assert github_stand_in.count("POST", COMMENTS) == 1
    assert github_stand_in.count("PATCH", COMMENT) == 2


def test_unchanged_plan_sends_no_write(gh: GitHubRepo, github_stand_in: GitHubStandIn, number: int) -> None:
    gh.sticky_comment(number, "same plan")
    github_stand_in.reset_counter()
    assert gh.sticky_comment(number, "same plan").action == "unchanged"
    assert github_stand_in.count() == 1  # one read, no write


def test_other_comments_are_not_taken_for_ours(
    gh: GitHubRepo, github_repo: Repo, github_client: Any, number: int
) -> None:
    comment(github_client, number, "LGTM, but what about reconciler:plan?")
    comment(github_client, number, f"quoting: {marker('plan')}")  # marker not at the start: not ours
    gh.sticky_comment(number, "the plan")
    gh.sticky_comment(number, "the plan, again")
    bodies = comments_on(github_repo, number)
    assert len(bodies) == 3 and bodies[2] == f"{marker('plan')}\nthe plan, again"


def test_two_keys_keep_two_comments(gh: GitHubRepo, github_repo: Repo, number: int) -> None:
    gh.sticky_comment(number, "plan", key="plan")
    gh.sticky_comment(number, "drift note", key="drift")
    assert len(comments_on(github_repo, number)) == 2


def test_a_long_plan_is_cut_at_the_limit_with_a_pointer_to_the_summary(
    gh: GitHubRepo, github_repo: Repo, number: int
) -> None:
    url = "https://github.com/fixia/infra/actions/runs/42"
    text = "```diff\n" + "+ replicas: 3\n" * 10_000 + "```\n"
    gh.sticky_comment(number, text, overflow_url=url)
    (body,) = comments_on(github_repo, number)
    assert len(body) <= BODY_LIMIT
    assert body.startswith(marker("plan"))
    assert body.rstrip().endswith(f"The full text is in [the job summary]({url}).")
    assert body.count("```") % 2 == 0  # the cut closed the code fence
