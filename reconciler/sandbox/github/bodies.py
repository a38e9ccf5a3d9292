"""JSON bodies of the GitHub stand-in for users, repositories, labels, issues, comments and pull requests.

Each builder sets what the state knows and lets `skeleton.complete` add the rest of GitHub's required fields.
Every URL is built on the stand-in's own base URL, because PyGithub refuses to follow URLs on another host or port.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from typing import Any

from reconciler.sandbox.github.git import commits_between, line_changes
from reconciler.sandbox.github.skeleton import complete
from reconciler.sandbox.github.state import Comment, Issue, Label, Pull, Repo


def api(base: str, repo: Repo) -> str:
    return f"{base}/repos/{repo.owner}/{repo.name}"


def html(base: str, repo: Repo) -> str:
    return f"{base}/{repo.owner}/{repo.name}"


def node_id(kind: str, number: int | str) -> str:
    return f"{kind}_{number}"


def user_id(login: str) -> int:
    return int(hashlib.sha1(login.encode(), usedforsecurity=False).hexdigest()[:7], 16)


def user(base: str, login: str) -> dict[str, Any]:
    url = f"{base}/users/{urllib.parse.quote(login)}"
    partial = {
        "login": login,
        "id": user_id(login),
        "node_id": node_id("U", user_id(login)),
        "url": url,
        "html_url": f"{base}/{urllib.parse.quote(login)}",
        "avatar_url": f"{base}/avatars/{urllib.parse.quote(login)}",
        "gravatar_id": "",
        "type": "Bot" if login.endswith("[bot]") else "User",
        "site_admin": False,
    }
    return complete("simple-user", partial, url)


def repository(base: str, repo: Repo, schema: str = "full-repository") -> dict[str, Any]:
    url = api(base, repo)
    partial = {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(base, repo.owner),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "html_url": html(base, repo),
        "url": url,
        "description": None,
        "fork": False,
        "default_branch": repo.default_branch,
        "clone_url": f"{html(base, repo)}.git",
        "git_url": f"{html(base, repo)}.git",
        "ssh_url": f"{html(base, repo)}.git",
        "svn_url": html(base, repo),
        "homepage": None,
        "language": None,
        "mirror_url": None,
        "license": None,
        "has_issues": True,
        "created_at": repo.created_at,
        "updated_at": repo.created_at,
        "pushed_at": repo.created_at,
        "open_issues_count": sum(1 for issue in repo.issues.values() if issue.state == "open"),
        "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    }
    partial["open_issues"] = partial["open_issues_count"]
    return complete(schema, partial, url)


def label(base: str, repo: Repo, item: Label) -> dict[str, Any]:
    url = f"{api(base, repo)}/labels/{urllib.parse.quote(item.name)}"
    partial = {
        "id": item.id,
        "node_id": node_id("LA", item.id),
        "url": url,
        "name": item.name,
        "color": item.color,
        "description": item.description,
        "default": False,
    }
    return complete("label", partial, url)


def issue(base: str, repo: Repo, item: Issue) -> dict[str, Any]:
    url = f"{api(base, repo)}/issues/{item.number}"
    page = f"{html(base, repo)}/{'pull' if item.is_pull else 'issues'}/{item.number}"
    partial: dict[str, Any] = {
        "id": item.id,
        "node_id": node_id("I", item.id),
        "url": url,
        "repository_url": api(base, repo),
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": page,
        "number": item.number,
        "state": item.state,
        "state_reason": item.state_reason,
        "title": item.title,
        "body": item.body,
        "user": user(base, item.user),
        "labels": [label(base, repo, repo.ensure_label(name)) for name in item.labels],
        "assignee": user(base, item.assignees[0]) if item.assignees else None,
        "assignees": [user(base, login) for login in item.assignees],
        "milestone": None,
        "locked": False,
        "comments": sum(1 for c in repo.comments.values() if c.issue_number == item.number),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "author_association": "OWNER",
    }
    if item.is_pull:
        pull_url = f"{api(base, repo)}/pulls/{item.number}"
        partial["pull_request"] = {
            "url": pull_url,
            "html_url": page,
            "diff_url": f"{page}.diff",
            "patch_url": f"{page}.patch",
            "merged_at": None,
        }
    return complete("issue", partial, url)


def comment(base: str, repo: Repo, item: Comment) -> dict[str, Any]:
    url = f"{api(base, repo)}/issues/comments/{item.id}"
    issue_item = repo.issues[item.issue_number]
    kind = "pull" if issue_item.is_pull else "issues"
    partial = {
        "id": item.id,
        "node_id": node_id("IC", item.id),
        "url": url,
        "html_url": f"{html(base, repo)}/{kind}/{item.issue_number}#issuecomment-{item.id}",
        "issue_url": f"{api(base, repo)}/issues/{item.issue_number}",
        "body": item.body,
        "user": user(base, item.user),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "author_association": "OWNER",
    }
    return complete("issue-comment", partial, url)


def _pull_end(base: str, repo: Repo, branch: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{branch}",
        "ref": branch,
        "sha": sha,
        "user": user(base, repo.owner),
        "repo": repository(base, repo, "repository"),
    }


def pull(base: str, repo: Repo, item: Pull, *, simple: bool = False) -> dict[str, Any]:
    shared = repo.issues[item.number]
    url = f"{api(base, repo)}/pulls/{item.number}"
    issue_url = f"{api(base, repo)}/issues/{item.number}"
    page = f"{html(base, repo)}/pull/{item.number}"
    head_sha = repo.branch_sha(item.head) or item.head_sha
    base_sha = repo.branch_sha(item.base) or ""
    partial: dict[str, Any] = {
        "url": url,
        "id": item.id,
        "node_id": node_id("PR", item.id),
        "html_url": page,
        "diff_url": f"{page}.diff",
        "patch_url": f"{page}.patch",
        "issue_url": issue_url,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api(base, repo)}/pulls/comments{{/number}}",
        "comments_url": f"{issue_url}/comments",
        "statuses_url": f"{api(base, repo)}/statuses/{head_sha}",
        "number": item.number,
        "state": shared.state,
        "locked": False,
        "title": shared.title,
        "user": user(base, shared.user),
        "body": shared.body,
        "labels": [label(base, repo, repo.ensure_label(name)) for name in shared.labels],
        "milestone": None,
        "created_at": shared.created_at,
        "updated_at": shared.updated_at,
        "closed_at": shared.closed_at,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _pull_end(base, repo, item.head, head_sha),
        "base": _pull_end(base, repo, item.base, base_sha),
        "_links": {
            name: {"href": href}
            for name, href in {
                "self": url,
                "html": page,
                "issue": issue_url,
                "comments": f"{issue_url}/comments",
                "review_comments": f"{url}/comments",
                "review_comment": f"{api(base, repo)}/pulls/comments{{/number}}",
                "commits": f"{url}/commits",
                "statuses": f"{api(base, repo)}/statuses/{head_sha}",
            }.items()
        },
        "author_association": "OWNER",
        "auto_merge": None,
        "draft": item.draft,
    }
    if simple:
        return complete("pull-request-simple", partial, url)
    old = repo.git.files_of(base_sha) if base_sha else {}
    new = repo.git.files_of(head_sha) if head_sha in repo.git.commits else {}
    changed = [path for path in set(old) | set(new) if old.get(path) != new.get(path)]
    stats = [line_changes(old.get(path), new.get(path)) for path in changed]
    partial.update(
        {
            "commits": commits_between(repo.git, base_sha, head_sha),
            "changed_files": len(changed),
            "additions": sum(s[0] for s in stats),
            "deletions": sum(s[1] for s in stats),
            "merged": False,
            "mergeable": True,
            "mergeable_state": "clean",
            "merged_by": None,
            "comments": sum(1 for c in repo.comments.values() if c.issue_number == item.number),
            "review_comments": 0,
            "maintainer_can_modify": item.maintainer_can_modify,
        }
    )
    return complete("pull-request", partial, url)
