"""Branches, contents, refs and git data through PyGithub against the stand-in."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from github import GithubException, InputGitTreeElement, UnknownObjectException

from reconciler.sandbox.github import GitHubStandIn, Repo
from reconciler.sandbox.github.git import blob_sha
from tests.fixtures.github import GITHUB_FILES, GITHUB_REPO

pytestmark = pytest.mark.integration  # a real loopback socket

PROD = "desired-state/production.yaml"
BRANCH = "reconciler/bump-api-1.5.0"


def test_blob_shas_are_git_object_ids() -> None:
    # Well-known ids: `git hash-object` of an empty file and of "hello\n".
    assert blob_sha(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_seeded_files_are_on_main(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    branch = repo.get_branch("main")
    assert branch.commit.sha == github_repo.branch_sha("main")
    content = repo.get_contents(PROD)
    assert content.decoded_content.decode() == GITHUB_FILES[PROD]
    assert content.sha == blob_sha(GITHUB_FILES[PROD].encode())
    listing = repo.get_contents("desired-state")
    assert sorted(item.path for item in listing) == [PROD, "desired-state/staging.yaml"]
    commit = repo.get_commit("main")
    assert commit.commit.message == "Initial commit"
    assert commit.sha == branch.commit.sha
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.yaml")


def test_a_branch_is_created_and_a_file_updated_on_it(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    main_sha = repo.get_branch("main").commit.sha
    ref = repo.create_git_ref(ref=f"refs/heads/{BRANCH}", sha=main_sha)
    assert (ref.ref, ref.object.sha) == (f"refs/heads/{BRANCH}", main_sha)
    assert repo.get_git_ref(f"heads/{BRANCH}").object.sha == main_sha

    current = repo.get_contents(PROD, ref=BRANCH)
    result = repo.update_file(PROD, "Bump api to 1.5.0", b"version: 1.5.0\n", current.sha, branch=BRANCH)
    assert github_repo.files(BRANCH)[PROD] == b"version: 1.5.0\n"
    assert github_repo.files("main")[PROD] == GITHUB_FILES[PROD].encode()
    assert github_repo.branch_sha(BRANCH) == result["commit"].sha
    assert github_repo.git.commits[result["commit"].sha].parents == (main_sha,)

    created = repo.create_file("desired-state/preview.yaml", "Add preview", "environment: preview\n", branch=BRANCH)
    assert created["content"].path == "desired-state/preview.yaml"
    assert sorted(github_repo.files(BRANCH)) == sorted([*GITHUB_FILES, "desired-state/preview.yaml"])


def test_a_stale_blob_sha_is_a_409_and_a_missing_one_a_422(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    stale = repo.get_contents(PROD)
    github_repo.commit_files({PROD: "version: 9.9.9\n"}, message="someone else")
    with pytest.raises(GithubException) as conflict:
        repo.update_file(PROD, "Bump", b"version: 1.5.0\n", stale.sha)
    assert conflict.value.status == 409
    assert conflict.value.data["message"] == f"{PROD} does not match {stale.sha}"
    with pytest.raises(GithubException) as missing:
        repo.create_file(PROD, "Bump", "version: 1.5.0\n")
    assert missing.value.status == 422
    assert github_repo.files()[PROD] == b"version: 9.9.9\n"


def test_ref_updates_must_fast_forward_unless_forced(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    first = github_repo.branch_sha("main")
    assert first is not None
    second = github_repo.commit_files({"a.txt": "a"}, message="second").sha
    ref = repo.get_git_ref("heads/main")
    assert ref.object.sha == second  # a lazy GitRef must be read before edit(): its url is then .../git/refs/...
    with pytest.raises(GithubException) as rewind:
        ref.edit(first)
    assert (rewind.value.status, rewind.value.data["message"]) == (422, "Update is not a fast forward")
    assert github_repo.branch_sha("main") == second
    ref.edit(first, force=True)
    assert github_repo.branch_sha("main") == first
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/main", first)
    assert (exists.value.status, exists.value.data["message"]) == (422, "Reference already exists")
    repo.create_git_ref("refs/heads/gone", first)
    gone = repo.get_git_ref("heads/gone")
    assert gone.object.sha == first
    gone.delete()
    assert github_repo.branch_sha("gone") is None


def test_several_files_in_one_commit_with_trees(github_client: Any, github_repo: Repo) -> None:
    repo = github_client.get_repo(GITHUB_REPO)
    head = repo.get_git_ref("heads/main")
    parent = repo.get_git_commit(head.object.sha)
    base_tree = repo.get_git_tree(parent.tree.sha)
    blob = repo.create_git_blob(base64.b64encode(b"binary\x00data").decode(), "base64")
    tree = repo.create_git_tree(
        [
            InputGitTreeElement(PROD, "100644", "blob", content="version: 2.0.0\n"),
            InputGitTreeElement("data/blob.bin", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("README.md", "100644", "blob", sha=None),
        ],
        base_tree,
    )
    commit = repo.create_git_commit("Two files at once", tree, [parent])
    head.edit(commit.sha)
    files = github_repo.files()
    assert files[PROD] == b"version: 2.0.0\n"
    assert files["data/blob.bin"] == b"binary\x00data"
    assert "README.md" not in files
    assert repo.get_git_blob(blob.sha).content.replace("\n", "") == base64.b64encode(b"binary\x00data").decode()
    recursive = repo.get_git_tree(commit.sha, recursive=True)
    assert {(e.path, e.type) for e in recursive.tree} >= {("data", "tree"), ("data/blob.bin", "blob")}
    assert [p.sha for p in repo.get_git_commit(commit.sha).parents] == [parent.sha]


def test_branches_are_listed(github_client: Any, github_repo: Repo, github_stand_in: GitHubStandIn) -> None:
    github_repo.commit_files({"x": "1"}, branch="feature")
    names = [branch.name for branch in github_client.get_repo(GITHUB_REPO).get_branches()]
    assert names == ["feature", "main"]
