"""GitHub stand-in routes for git data (refs, blobs, trees, commits), contents, branches and commits.

Refs move the way GitHub's do: creating an existing ref is a 422, a non-fast-forward update without `force` is a
422 "Update is not a fast forward", and a contents write with a stale blob `sha` is a 409.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from reconciler.sandbox.github import git_bodies
from reconciler.sandbox.github.git import FILE_MODE, Person
from reconciler.sandbox.github.routing import ApiError, Ctx, Response, invalid, not_found, paginate, route
from reconciler.sandbox.github.state import Repo, now


def _decode(content: str, encoding: str = "base64") -> bytes:
    if encoding == "utf-8":
        return content.encode()
    try:
        return base64.b64decode(content, validate=False)
    except (binascii.Error, ValueError):
        raise ApiError(422, "content is not valid Base64") from None


def _person(ctx: Ctx, value: Any) -> Person:
    if isinstance(value, dict) and value.get("name") and value.get("email"):
        return Person(str(value["name"]), str(value["email"]), str(value.get("date") or now()))
    return Person(ctx.actor, f"{ctx.actor}@users.noreply.github.com", now())


@route("GET", "/repos/{owner}/{repo}/git/ref/{ref}")
def get_ref(ctx: Ctx) -> Response:
    repo = ctx.repo
    full = f"refs/{ctx.params['ref']}"
    if full not in repo.refs:
        raise not_found()
    return Response(200, git_bodies.git_ref(ctx.base, repo, full))


@route("POST", "/repos/{owner}/{repo}/git/refs")
def create_ref(ctx: Ctx) -> Response:
    repo = ctx.repo
    ref = str(ctx.require("ref", "Reference"))
    sha = str(ctx.require("sha", "Reference"))
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name is invalid")
    if ref in repo.refs:
        raise ApiError(422, "Reference already exists")
    if sha not in repo.git.commits:
        raise ApiError(422, "Object does not exist")
    repo.refs[ref] = sha
    return Response(201, git_bodies.git_ref(ctx.base, repo, ref))


@route("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}")
def update_ref(ctx: Ctx) -> Response:
    repo = ctx.repo
    full = f"refs/{ctx.params['ref']}"
    sha = str(ctx.require("sha", "Reference"))
    if full not in repo.refs:
        raise ApiError(422, "Reference does not exist")
    if sha not in repo.git.commits:
        raise ApiError(422, "Object does not exist")
    if not ctx.field("force", False) and not repo.git.is_ancestor(repo.refs[full], sha):
        raise ApiError(422, "Update is not a fast forward")
    repo.refs[full] = sha
    return Response(200, git_bodies.git_ref(ctx.base, repo, full))


@route("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}")
def delete_ref(ctx: Ctx) -> Response:
    repo = ctx.repo
    full = f"refs/{ctx.params['ref']}"
    if repo.refs.pop(full, None) is None:
        raise ApiError(422, "Reference does not exist")
    return Response(204)


@route("POST", "/repos/{owner}/{repo}/git/blobs")
def create_blob(ctx: Ctx) -> Response:
    repo = ctx.repo
    content = ctx.require("content", "Blob")
    sha = repo.git.add_blob(_decode(str(content), str(ctx.field("encoding", "utf-8"))))
    return Response(201, {"sha": sha, "url": f"{ctx.base}/repos/{repo.owner}/{repo.name}/git/blobs/{sha}"})


@route("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}")
def get_blob(ctx: Ctx) -> Response:
    repo = ctx.repo
    if ctx.params["file_sha"] not in repo.git.blobs:
        raise not_found()
    return Response(200, git_bodies.blob(ctx.base, repo, ctx.params["file_sha"]))


def _apply_tree_entry(repo: Repo, files: dict[str, tuple[str, str]], entry: Any) -> None:
    if not isinstance(entry, dict) or not entry.get("path"):
        raise ApiError(422, "Invalid tree info")
    path = str(entry["path"]).strip("/")
    if "content" in entry:
        files[path] = (str(entry.get("mode", FILE_MODE)), repo.git.add_blob(str(entry["content"]).encode()))
    elif entry.get("sha") is None:
        for existing in [p for p in files if p == path or p.startswith(path + "/")]:
            del files[existing]
    elif entry.get("type") == "tree":
        if entry["sha"] not in repo.git.trees:
            raise ApiError(422, f"tree.sha {entry['sha']} is not a valid tree")
        files.update({f"{path}/{inner}": value for inner, value in repo.git.flatten(entry["sha"]).items()})
    else:
        if entry["sha"] not in repo.git.blobs:
            raise ApiError(422, f"tree.sha {entry['sha']} is not a valid blob")
        files[path] = (str(entry.get("mode", FILE_MODE)), str(entry["sha"]))


@route("POST", "/repos/{owner}/{repo}/git/trees")
def create_tree(ctx: Ctx) -> Response:
    repo = ctx.repo
    entries = ctx.require("tree", "Tree")
    base_tree = ctx.field("base_tree")
    if base_tree is not None and base_tree not in repo.git.trees:
        raise ApiError(422, "base_tree is not a valid tree")
    files = repo.git.flatten(base_tree) if base_tree else {}
    for entry in entries if isinstance(entries, list) else []:
        _apply_tree_entry(repo, files, entry)
    sha = repo.git.write_tree(files)
    return Response(201, git_bodies.tree(ctx.base, repo, sha, recursive=False))


@route("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}")
def get_tree(ctx: Ctx) -> Response:
    repo = ctx.repo
    sha = ctx.params["tree_sha"]
    if sha not in repo.git.trees:
        commit = repo.resolve(sha)
        if commit is None:
            raise not_found()
        sha = repo.git.commits[commit].tree
    recursive = ctx.request.query.get("recursive", "") not in ("", "0", "false")
    return Response(200, git_bodies.tree(ctx.base, repo, sha, recursive=recursive))


@route("POST", "/repos/{owner}/{repo}/git/commits")
def create_commit(ctx: Ctx) -> Response:
    repo = ctx.repo
    message = str(ctx.require("message", "Commit"))
    tree = str(ctx.require("tree", "Commit"))
    parents = ctx.field("parents", [])
    if tree not in repo.git.trees:
        raise ApiError(422, "Tree SHA does not exist")
    if not isinstance(parents, list) or any(p not in repo.git.commits for p in parents):
        raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    author = _person(ctx, ctx.field("author"))
    committer = _person(ctx, ctx.field("committer")) if ctx.field("committer") else author
    commit = repo.git.add_commit(tree, tuple(parents), message, author, committer)
    return Response(201, git_bodies.git_commit(ctx.base, repo, commit))


@route("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}")
def get_git_commit(ctx: Ctx) -> Response:
    repo = ctx.repo
    commit = repo.git.commits.get(ctx.params["commit_sha"])
    if commit is None:
        raise not_found()
    return Response(200, git_bodies.git_commit(ctx.base, repo, commit))


@route("GET", "/repos/{owner}/{repo}/commits/{ref}")
def get_commit(ctx: Ctx) -> Response:
    repo = ctx.repo
    sha = repo.resolve(ctx.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ctx.params['ref']}")
    return Response(200, git_bodies.rest_commit(ctx.base, repo, repo.git.commits[sha]))


@route("GET", "/repos/{owner}/{repo}/branches/{branch}")
def get_branch(ctx: Ctx) -> Response:
    repo = ctx.repo
    if repo.branch_sha(ctx.params["branch"]) is None:
        raise ApiError(404, "Branch not found")
    return Response(200, git_bodies.branch(ctx.base, repo, ctx.params["branch"]))


@route("GET", "/repos/{owner}/{repo}/branches")
def list_branches(ctx: Ctx) -> Response:
    repo = ctx.repo
    names = sorted(ref.removeprefix("refs/heads/") for ref in repo.refs if ref.startswith("refs/heads/"))
    return paginate(ctx, [git_bodies.short_branch(ctx.base, repo, name) for name in names])


def _ref_or_default(ctx: Ctx, repo: Repo, name: str) -> tuple[str, str]:
    ref = ctx.request.query.get(name) or repo.default_branch
    sha = repo.resolve(ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    return ref, sha


@route("GET", "/repos/{owner}/{repo}/contents/{path}")
def get_contents(ctx: Ctx) -> Response:
    repo = ctx.repo
    ref, sha = _ref_or_default(ctx, repo, "ref")
    path = ctx.params["path"].strip("/")
    for full, entry in repo.git.walk(repo.git.commits[sha].tree):
        if full == path:
            if entry.type == "blob":
                return Response(200, git_bodies.content_file(ctx.base, repo, path, entry.sha, ref))
            return Response(200, git_bodies.content_directory(ctx.base, repo, path, entry.sha, ref))
    raise not_found()


@route("PUT", "/repos/{owner}/{repo}/contents/{path}")
def put_contents(ctx: Ctx) -> Response:
    repo = ctx.repo
    path = ctx.params["path"].strip("/")
    message = str(ctx.require("message", "Commit"))
    data = _decode(str(ctx.require("content", "Commit")))
    branch = str(ctx.field("branch") or repo.default_branch)
    parent = repo.branch_sha(branch)
    if parent is None:
        raise ApiError(404, f"Branch {branch} not found")
    current = repo.git.flatten(repo.git.commits[parent].tree)
    given = ctx.field("sha")
    existed = path in current
    if existed:
        if given is None:
            raise invalid("Commit", "sha", "missing_field", '"sha" wasn\'t supplied.')
        if given != current[path][1]:
            raise ApiError(409, f"{path} does not match {given}")
    blob = repo.git.add_blob(data)
    current[path] = (FILE_MODE, blob)
    author = _person(ctx, ctx.field("author") or ctx.field("committer"))
    committer = _person(ctx, ctx.field("committer")) if ctx.field("committer") else author
    commit = repo.git.add_commit(repo.git.write_tree(current), (parent,), message, author, committer)
    repo.refs[f"refs/heads/{branch}"] = commit.sha
    body = git_bodies.file_commit(ctx.base, repo, path, blob, commit, branch)
    return Response(200 if existed else 201, body)
