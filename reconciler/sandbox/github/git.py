"""A tiny content-addressed git object store for the GitHub stand-in: blobs, trees and commits hashed as git does.

Shas are real git object ids (sha1 of "<type> <len>\\0<content>"), so a file's blob sha matches `git hash-object`.
Trees are nested like git's; callers mostly work with flat {path: bytes} maps and let this module build the trees.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field

FILE_MODE = "100644"
TREE_MODE = "040000"


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree: a blob (file) or a subtree, by name (no slashes)."""

    name: str
    mode: str
    type: str  # "blob" | "tree"
    sha: str


@dataclass(frozen=True)
class Person:
    """An author or committer line of a commit."""

    name: str
    email: str
    date: str  # ISO 8601, "2026-11-26T23:00:00Z"


@dataclass(frozen=True)
class Commit:
    """A commit object: message, tree, parents and people."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: Person
    committer: Person


def _object_id(kind: str, content: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(content)}\0".encode() + content, usedforsecurity=False).hexdigest()


def blob_sha(content: bytes) -> str:
    """The git blob id of `content` (what `git hash-object` prints)."""
    return _object_id("blob", content)


def _sort_key(entry: TreeEntry) -> str:
    # git orders tree entries as if directory names ended in "/".
    return entry.name + "/" if entry.type == "tree" else entry.name


@dataclass
class ObjectStore:
    """All git objects of one repository, keyed by sha."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, tuple[TreeEntry, ...]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def add_blob(self, content: bytes) -> str:
        sha = blob_sha(content)
        self.blobs[sha] = content
        return sha

    def add_tree(self, entries: list[TreeEntry]) -> str:
        ordered = tuple(sorted(entries, key=_sort_key))
        raw = b"".join(f"{e.mode} {e.name}\0".encode() + bytes.fromhex(e.sha) for e in ordered)
        sha = _object_id("tree", raw)
        self.trees[sha] = ordered
        return sha

    def add_commit(
        self, tree: str, parents: tuple[str, ...], message: str, author: Person, committer: Person
    ) -> Commit:
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
        lines.append(f"author {author.name} <{author.email}> {author.date}")
        lines.append(f"committer {committer.name} <{committer.email}> {committer.date}")
        sha = _object_id("commit", ("\n".join(lines) + "\n\n" + message).encode())
        commit = Commit(sha, tree, parents, message, author, committer)
        self.commits[sha] = commit
        return commit

    def write_tree(self, files: dict[str, tuple[str, str]]) -> str:
        """Build nested trees from flat {path: (mode, blob sha)} and return the root tree's sha."""
        here: list[TreeEntry] = []
        subdirs: dict[str, dict[str, tuple[str, str]]] = {}
        for path, (mode, sha) in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                subdirs.setdefault(head, {})[rest] = (mode, sha)
            else:
                here.append(TreeEntry(head, mode, "blob", sha))
        for name, inner in subdirs.items():
            here.append(TreeEntry(name, TREE_MODE, "tree", self.write_tree(inner)))
        return self.add_tree(here)

    def flatten(self, tree_sha: str, prefix: str = "") -> dict[str, tuple[str, str]]:
        """The flat {path: (mode, blob sha)} of every file under a tree."""
        out: dict[str, tuple[str, str]] = {}
        for entry in self.trees[tree_sha]:
            path = prefix + entry.name
            if entry.type == "tree":
                out.update(self.flatten(entry.sha, path + "/"))
            else:
                out[path] = (entry.mode, entry.sha)
        return out

    def walk(self, tree_sha: str, prefix: str = "") -> list[tuple[str, TreeEntry]]:
        """Every entry under a tree (subtrees too), with its full path, depth first as GitHub's recursive listing."""
        out: list[tuple[str, TreeEntry]] = []
        for entry in self.trees[tree_sha]:
            out.append((prefix + entry.name, entry))
            if entry.type == "tree":
                out.extend(self.walk(entry.sha, prefix + entry.name + "/"))
        return out

    def files_of(self, commit_sha: str) -> dict[str, bytes]:
        """The contents of every file in a commit, by path."""
        return {path: self.blobs[sha] for path, (_, sha) in self.flatten(self.commits[commit_sha].tree).items()}

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when `ancestor` is reachable from `descendant` by parent links (or is it)."""
        seen: set[str] = set()
        todo = [descendant]
        while todo:
            sha = todo.pop()
            if sha == ancestor:
                return True
            if sha in seen or sha not in self.commits:
                continue
            seen.add(sha)
            todo.extend(self.commits[sha].parents)
        return False


def line_changes(old: bytes | None, new: bytes | None) -> tuple[int, int, list[str]]:
    """(additions, deletions, unified diff hunk lines) between two versions of a file (None: absent)."""
    before = old.decode(errors="replace").splitlines() if old is not None else []
    after = new.decode(errors="replace").splitlines() if new is not None else []
    lines = list(difflib.unified_diff(before, after, lineterm="", n=3))[2:]
    additions = sum(1 for line in lines if line.startswith("+"))
    deletions = sum(1 for line in lines if line.startswith("-"))
    return additions, deletions, lines


def commits_between(store: ObjectStore, base: str, head: str) -> int:
    """How many commits `head` has that `base` lacks (what a pull request's `commits` counts)."""
    reachable: set[str] = set()
    todo = [base]
    while todo:
        sha = todo.pop()
        if sha in reachable or sha not in store.commits:
            continue
        reachable.add(sha)
        todo.extend(store.commits[sha].parents)
    seen: set[str] = set()
    todo = [head]
    while todo:
        sha = todo.pop()
        if sha in seen or sha in reachable or sha not in store.commits:
            continue
        seen.add(sha)
        todo.extend(store.commits[sha].parents)
    return len(seen)
