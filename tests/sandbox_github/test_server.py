"""The stand-in's HTTP behaviour: auth, headers, pagination links, its own URLs, faults, the counter, validation."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from github import Auth, Github, GithubException, RateLimitExceededException

from reconciler.sandbox.github import (
    GitHubStandIn,
    Repo,
    duplicate_pull_request,
    primary_rate_limit,
    secondary_rate_limit,
    server_error,
    stale_sha,
    too_many_requests,
)
from reconciler.sandbox.github import bodies as bodies_module
from tests.fixtures.github import GITHUB_REPO

pytestmark = pytest.mark.integration  # a real loopback socket

ISSUES = "/repos/{owner}/{repo}/issues"


def raw(stand_in: GitHubStandIn, method: str, path: str, token: str | None = "t", body: Any = None) -> Any:
    """One request over a fresh socket: (status, headers, parsed JSON body or None)."""
    host, port = stand_in.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        connection.close()


def test_a_request_without_a_token_gets_githubs_401(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    status, headers, body = raw(github_stand_in, "GET", "/repos/fixia/infra", token=None)
    assert status == 401
    assert body["message"] == "Requires authentication"
    assert "documentation_url" in body
    client = Github(base_url=github_stand_in.base_url, retry=None)
    try:
        with pytest.raises(GithubException) as refused:
            client.get_repo(GITHUB_REPO)
    finally:
        client.close()
    assert refused.value.status == 401


def test_every_response_has_rate_limit_headers(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    for path in ("/repos/fixia/infra", "/repos/fixia/infra/issues", "/repos/fixia/nope", "/rate_limit"):
        _, headers, _ = raw(github_stand_in, "GET", path)
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used"} <= set(headers)
    assert headers["X-RateLimit-Used"] == "3"  # /rate_limit itself is free, as on GitHub


def test_link_header_pages_with_absolute_stand_in_urls(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    for n in range(5):
        github_repo.ensure_label(f"label-{n}")
    _, headers, body = raw(github_stand_in, "GET", "/repos/fixia/infra/labels?per_page=2&page=2")
    assert [label["name"] for label in body] == ["label-2", "label-3"]
    base = f"{github_stand_in.base_url}/repos/fixia/infra/labels"
    assert headers["Link"] == (
        f'<{base}?per_page=2&page=3>; rel="next", <{base}?per_page=2&page=3>; rel="last", '
        f'<{base}?per_page=2&page=1>; rel="first", <{base}?per_page=2&page=1>; rel="prev"'
    )


def test_responses_carry_only_the_stand_ins_own_urls(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    github_repo.commit_files({"x.txt": "x"}, branch="feature")
    raw(github_stand_in, "POST", "/repos/fixia/infra/issues", body={"title": "t", "labels": ["drift"]})
    raw(github_stand_in, "POST", "/repos/fixia/infra/pulls", body={"title": "p", "head": "feature", "base": "main"})
    texts = [
        json.dumps(raw(github_stand_in, "GET", path)[2])
        for path in (
            "/repos/fixia/infra",
            "/repos/fixia/infra/issues",
            "/repos/fixia/infra/pulls/2",
            "/repos/fixia/infra/branches/main",
            "/repos/fixia/infra/contents/README.md",
        )
    ]
    for text in texts:
        assert "api.github.com" not in text
        assert f'"url": "{github_stand_in.base_url}/' in text


def test_invalid_json_is_a_400(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    host, port = github_stand_in.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", "/repos/fixia/infra/issues", body="{nope", headers={"Authorization": "token t"})
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())["message"]) == (400, "Problems parsing JSON")
    finally:
        connection.close()


def test_server_errors_are_injected_for_the_next_n_requests(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    github_stand_in.faults.add(server_error(502), method="POST", route=ISSUES, times=2)
    for _ in range(2):
        with pytest.raises(GithubException) as failed:
            repo.create_issue(title="Drift")
        assert failed.value.status == 502
    assert repo.create_issue(title="Drift").number == 1
    assert len(github_repo.issues) == 1
    assert github_stand_in.count("POST", ISSUES) == 3


def test_a_5xx_on_post_is_retried_by_pygithubs_default_retry(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    from github.GithubRetry import GithubRetry

    github_stand_in.faults.add(server_error(502), method="POST", route=ISSUES)
    client = Github(
        auth=Auth.Token("t"),
        base_url=github_stand_in.base_url,
        retry=GithubRetry(total=3, backoff_factor=0),
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )
    try:
        client.get_repo(GITHUB_REPO).create_issue(title="Drift")
    finally:
        client.close()
    # The POST was sent twice: the duplicate risk the provider must guard against by looking up first.
    assert github_stand_in.count("POST", ISSUES) == 2


def test_a_write_can_land_and_lose_its_answer(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    github_stand_in.faults.add(server_error(502), method="POST", route=ISSUES, landed=True)
    with pytest.raises(GithubException) as lost:
        github_client.get_repo(GITHUB_REPO).create_issue(title="Drift")
    assert lost.value.status == 502
    assert [issue.title for issue in github_repo.issues.values()] == ["Drift"]
    github_client.get_repo(GITHUB_REPO).create_issue(title="Second")
    assert len(github_repo.issues) == 2  # the fault was used up


def test_secondary_rate_limit_carries_retry_after(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    github_stand_in.faults.add(secondary_rate_limit(retry_after=7), route=ISSUES)
    with pytest.raises(RateLimitExceededException) as limited:
        list(github_client.get_repo(GITHUB_REPO).get_issues())
    assert limited.value.status == 403
    assert limited.value.headers is not None
    assert limited.value.headers["retry-after"] == "7"
    assert list(github_client.get_repo(GITHUB_REPO).get_issues()) == []


def test_a_spent_primary_budget_and_a_429(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    github_stand_in.faults.add(primary_rate_limit(reset_in=30), route=ISSUES)
    with pytest.raises(RateLimitExceededException) as spent:
        list(repo.get_issues())
    assert spent.value.headers is not None
    assert spent.value.headers["x-ratelimit-remaining"] == "0"
    github_stand_in.faults.add(too_many_requests(retry_after=None), route=ISSUES)
    with pytest.raises(GithubException) as throttled:
        list(repo.get_issues())
    assert throttled.value.status == 429
    assert not isinstance(throttled.value, RateLimitExceededException)


def test_spending_the_hourly_budget_gets_the_primary_limit(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    github_stand_in.state.rate_limit = 2
    repo = github_client.get_repo(GITHUB_REPO)
    list(repo.get_issues())
    list(repo.get_labels())
    with pytest.raises(RateLimitExceededException) as spent:
        list(repo.get_issues())
    assert spent.value.headers is not None
    assert (spent.value.headers["x-ratelimit-remaining"], spent.value.headers["x-ratelimit-used"]) == ("0", "3")
    assert github_client.get_rate_limit().resources.core.remaining == 0


def test_stale_sha_and_duplicate_pull_faults(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    github_stand_in.faults.add(stale_sha("README.md", "abc"), method="PUT")
    current = repo.get_contents("README.md")
    with pytest.raises(GithubException) as conflict:
        repo.update_file("README.md", "m", b"new", current.sha)
    assert (conflict.value.status, conflict.value.data["message"]) == (409, "README.md does not match abc")
    github_stand_in.faults.add(duplicate_pull_request("fixia:x"), method="POST", route="/repos/{owner}/{repo}/pulls")
    with pytest.raises(GithubException) as duplicate:
        repo.create_pull(base="main", head="x", title="t")
    assert duplicate.value.data["errors"][0]["message"] == "A pull request already exists for fixia:x."


def test_a_fault_armed_forever_holds_until_cleared(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    github_stand_in.faults.add(server_error(503), times=None)
    assert [raw(github_stand_in, "GET", "/rate_limit")[0] for _ in range(3)] == [503, 503, 503]
    github_stand_in.faults.clear()
    assert raw(github_stand_in, "GET", "/rate_limit")[0] == 200


def test_the_counter_records_method_and_route(
    github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn
) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    list(repo.get_issues(labels=["drift"]))
    repo.get_contents("README.md")
    assert github_stand_in.count() == 2
    assert github_stand_in.count("GET", ISSUES) == 1
    assert github_stand_in.count("GET", "/repos/{owner}/{repo}/contents/{path}") == 1
    assert [(r.method, r.route, r.status) for r in github_stand_in.requests] == [
        ("GET", ISSUES, 200),
        ("GET", "/repos/{owner}/{repo}/contents/{path}", 200),
    ]
    assert github_stand_in.requests[0].query == (("labels", "drift"),)
    github_stand_in.reset_counter()
    assert github_stand_in.count() == 0


@pytest.fixture
def checked_stand_in() -> Iterator[GitHubStandIn]:
    """A stand-in whose violations the test inspects itself (the shared fixture would fail on them)."""
    with GitHubStandIn(validate=True, strict=True) as stand_in:
        stand_in.add_repo(GITHUB_REPO)
        yield stand_in


def test_a_response_that_breaks_the_slice_is_a_loud_500(
    checked_stand_in: GitHubStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = bodies_module.label

    def broken(*args: Any) -> dict[str, Any]:
        body = original(*args)
        del body["node_id"]
        body["color"] = 7
        return body

    monkeypatch.setattr(bodies_module, "label", broken)
    status, _, body = raw(checked_stand_in, "POST", "/repos/fixia/infra/labels", body={"name": "drift"})
    assert status == 500
    assert "failed validation against the OpenAPI slice" in body["message"]
    messages = sorted(v.message for v in checked_stand_in.violations)
    assert messages == ["(root): 'node_id' is a required property", "color: 7 is not of type 'string'"]


def test_a_route_the_slice_does_not_know_is_a_violation(checked_stand_in: GitHubStandIn) -> None:
    status, _, _ = raw(checked_stand_in, "GET", "/repos/fixia/infra/hooks")
    assert status == 500
    assert [v.message for v in checked_stand_in.violations] == [
        "no operation in the OpenAPI slice matches this request"
    ]


def test_validation_can_be_switched_off_for_speed(github_repo: Repo) -> None:
    with GitHubStandIn(validate=False) as stand_in:
        assert raw(stand_in, "GET", "/repos/fixia/infra/hooks")[0] == 404
        assert stand_in.violations == []


def test_the_token_never_appears_in_any_response(github_stand_in: GitHubStandIn, github_repo: Repo) -> None:
    token = "ghs_plantedSecretValue1234567890"
    texts = [json.dumps(raw(github_stand_in, "GET", p, token=token)) for p in ("/repos/fixia/infra", "/rate_limit")]
    texts.append(json.dumps(raw(github_stand_in, "POST", "/repos/fixia/infra/issues", token=token, body={})))
    assert all(token not in text for text in texts)
    assert token not in repr(github_stand_in.requests)
