"""JSON bodies of the GitHub stand-in for git data (refs, commits, trees, blobs), contents, branches and commits."""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any

from reconciler.sandbox.github.bodies import api, html, node_id
from reconciler.sandbox.github.git import Commit, Person
from reconciler.sandbox.github.skeleton import complete
from reconciler.sandbox.github.state import Repo


def encode_content(data: bytes) -> str:
    """Base64 with a newline every 60 characters, as GitHub's contents and blobs APIs send it."""
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def git_ref(base: str, repo: Repo, ref: str) -> dict[str, Any]:
    sha = repo.refs[ref]
    url = f"{api(base, repo)}/git/{urllib.parse.quote(ref)}"  # ref is "refs/heads/..."
    partial = {
        "ref": ref,
        "node_id": node_id("REF", ref),
        "url": url,
        "object": {"type": "commit", "sha": sha, "url": f"{api(base, repo)}/git/commits/{sha}"},
    }
    return complete("git-ref", partial, url)


def _person(person: Person) -> dict[str, Any]:
    return {"name": person.name, "email": person.email, "date": person.date}


def _parents(base: str, repo: Repo, commit: Commit, kind: str) -> list[dict[str, Any]]:
    return [
        {"sha": p, "url": f"{api(base, repo)}/{kind}/{p}", "html_url": f"{html(base, repo)}/commit/{p}"}
        for p in commit.parents
    ]


_UNSIGNED = {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None}


def git_commit(base: str, repo: Repo, commit: Commit) -> dict[str, Any]:
    url = f"{api(base, repo)}/git/commits/{commit.sha}"
    partial = {
        "sha": commit.sha,
        "node_id": node_id("C", commit.sha),
        "url": url,
        "html_url": f"{html(base, repo)}/commit/{commit.sha}",
        "author": _person(commit.author),
        "committer": _person(commit.committer),
        "message": commit.message,
        "tree": {"sha": commit.tree, "url": f"{api(base, repo)}/git/trees/{commit.tree}"},
        "parents": _parents(base, repo, commit, "git/commits"),
        "verification": dict(_UNSIGNED),
    }
    return complete("git-commit", partial, url)


def rest_commit(base: str, repo: Repo, commit: Commit) -> dict[str, Any]:
    """A commit as `GET /repos/{o}/{r}/commits/{ref}` and branches show it (the `commit` schema)."""
    url = f"{api(base, repo)}/commits/{commit.sha}"
    partial = {
        "url": url,
        "sha": commit.sha,
        "node_id": node_id("C", commit.sha),
        "html_url": f"{html(base, repo)}/commit/{commit.sha}",
        "comments_url": f"{url}/comments",
        "commit": {
            "url": f"{api(base, repo)}/git/commits/{commit.sha}",
            "author": _person(commit.author),
            "committer": _person(commit.committer),
            "message": commit.message,
            "comment_count": 0,
            "tree": {"sha": commit.tree, "url": f"{api(base, repo)}/git/trees/{commit.tree}"},
            "verification": dict(_UNSIGNED),
        },
        "author": None,
        "committer": None,
        "parents": _parents(base, repo, commit, "commits"),
    }
    return complete("commit", partial, url)


def tree(base: str, repo: Repo, sha: str, *, recursive: bool) -> dict[str, Any]:
    url = f"{api(base, repo)}/git/trees/{sha}"
    entries = repo.git.walk(sha) if recursive else [(e.name, e) for e in repo.git.trees[sha]]
    items = []
    for path, entry in entries:
        item: dict[str, Any] = {"path": path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
        if entry.type == "blob":
            item["size"] = len(repo.git.blobs[entry.sha])
            item["url"] = f"{api(base, repo)}/git/blobs/{entry.sha}"
        else:
            item["url"] = f"{api(base, repo)}/git/trees/{entry.sha}"
        items.append(item)
    return complete("git-tree", {"sha": sha, "url": url, "tree": items, "truncated": False}, url)


def blob(base: str, repo: Repo, sha: str) -> dict[str, Any]:
    data = repo.git.blobs[sha]
    return {
        "sha": sha,
        "node_id": node_id("B", sha),
        "size": len(data),
        "url": f"{api(base, repo)}/git/blobs/{sha}",
        "content": encode_content(data),
        "encoding": "base64",
    }


def _content_links(base: str, repo: Repo, path: str, sha: str, ref: str, kind: str) -> dict[str, Any]:
    quoted = urllib.parse.quote(path)
    url = f"{api(base, repo)}/contents/{quoted}?ref={urllib.parse.quote(ref, safe='')}"
    git_url = f"{api(base, repo)}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
    html_url = f"{html(base, repo)}/{'blob' if kind == 'file' else 'tree'}/{ref}/{quoted}"
    return {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": f"{base}/raw/{repo.owner}/{repo.name}/{ref}/{quoted}" if kind == "file" else None,
        "type": kind,
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def content_file(base: str, repo: Repo, path: str, sha: str, ref: str) -> dict[str, Any]:
    data = repo.git.blobs[sha]
    body = _content_links(base, repo, path, sha, ref, "file")
    body.update({"size": len(data), "content": encode_content(data), "encoding": "base64"})
    return body


def content_directory(base: str, repo: Repo, path: str, tree_sha: str, ref: str) -> list[dict[str, Any]]:
    out = []
    for entry in repo.git.trees[tree_sha]:
        child = f"{path}/{entry.name}" if path else entry.name
        kind = "file" if entry.type == "blob" else "dir"
        item = _content_links(base, repo, child, entry.sha, ref, kind)
        item["size"] = len(repo.git.blobs[entry.sha]) if kind == "file" else 0
        out.append(item)
    return out


def file_commit(base: str, repo: Repo, path: str, sha: str, commit: Commit, branch: str) -> dict[str, Any]:
    content = _content_links(base, repo, path, sha, branch, "file")
    content["size"] = len(repo.git.blobs[sha])
    return complete("file-commit", {"content": content, "commit": git_commit(base, repo, commit)}, content["url"])


def branch(base: str, repo: Repo, name: str) -> dict[str, Any]:
    sha = repo.refs[f"refs/heads/{name}"]
    url = f"{api(base, repo)}/branches/{urllib.parse.quote(name)}"
    partial = {
        "name": name,
        "commit": rest_commit(base, repo, repo.git.commits[sha]),
        "_links": {"html": f"{html(base, repo)}/tree/{name}", "self": url},
        "protected": False,
        "protection": {"enabled": False, "required_status_checks": {"enforcement_level": "off", "contexts": []}},
        "protection_url": f"{url}/protection",
    }
    return complete("branch-with-protection", partial, url)


def short_branch(base: str, repo: Repo, name: str) -> dict[str, Any]:
    sha = repo.refs[f"refs/heads/{name}"]
    return {"name": name, "commit": {"sha": sha, "url": f"{api(base, repo)}/commits/{sha}"}, "protected": False}
