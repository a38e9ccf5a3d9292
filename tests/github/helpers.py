"""What people do on GitHub (open a PR, comment, file an issue), done through PyGithub on the stand-in."""

from __future__ import annotations

from typing import Any

from tests.fixtures.github import GITHUB_REPO


def open_pull(client: Any, branch: str, title: str = "A person's change", base: str = "main") -> int:
    repo = client.get_repo(GITHUB_REPO)
    main = repo.get_git_ref(f"heads/{base}").object.sha
    repo.create_git_ref(f"refs/heads/{branch}", main)
    repo.create_file(f"notes/{branch}.md", "a person's edit", b"hello\n", branch=branch)
    return int(repo.create_pull(base=base, head=branch, title=title, body="").number)


def comment(client: Any, number: int, body: str) -> None:
    client.get_repo(GITHUB_REPO).get_issue(number).create_comment(body)


def file_issue(client: Any, title: str, body: str, labels: list[str]) -> int:
    return int(client.get_repo(GITHUB_REPO).create_issue(title=title, body=body, labels=labels).number)
