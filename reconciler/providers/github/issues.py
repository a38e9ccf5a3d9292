"""Sticky comments, de-duplicated issues and labels on one repository, through PyGithub.

Issues are found by listing by label and matching a hidden marker, never by search (its index lags writes).
Reads come first and writes only when something differs, so a run with nothing to say makes one request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from github.Issue import Issue
from github.IssueComment import IssueComment
from github.Repository import Repository

from reconciler.errors import ProviderError
from reconciler.providers.github.errors import Conflict, call, github_errors, is_server_error
from reconciler.providers.github.records import (
    BODY_LIMIT,
    CloseReason,
    IssueRef,
    IssueReport,
    OpenItem,
    Outcome,
    key_of,
    marker,
)

T = TypeVar("T")

# Labels the reconciler writes, with the colour and description it gives them when it creates them.
KNOWN_LABELS: dict[str, tuple[str, str]] = {
    "reconciler": ("5319e7", "Opened by the reconciler"),
    "drift": ("d93f0b", "Live state differs from git"),
    "incident": ("b60205", "A deploy failed or was rolled back"),
    "maintenance": ("0e8a16", "Scheduled maintenance checklist"),
    "backup": ("1d76db", "Backup or restore needs attention"),
}
DEFAULT_COLOR = "ededed"


def fit_body(head: str, text: str, overflow_url: str | None) -> str:
    """`head` + `text`, cut to GitHub's body limit with a pointer to where the whole text is."""
    body = f"{head}\n{text}"
    if len(body) <= BODY_LIMIT:
        return body
    where = f"[the job summary]({overflow_url})" if overflow_url else "the job summary of this run"
    note = f"\n\n---\n**Cut at GitHub's {BODY_LIMIT:,}-character limit.** The full text is in {where}.\n"
    room = BODY_LIMIT - len(head) - 1 - len(note)
    cut = text[:room]
    if cut.count("```") % 2:  # don't leave a code fence open: it would swallow the note
        cut = cut[: room - 4] + "\n```"
    return f"{head}\n{cut}{note}"


def created_once(doing: str, create: Callable[[], T], lookup: Callable[[], T | None]) -> T:
    """Create something whose POST may land even when the answer is lost; look before sending it again."""
    try:
        return call(doing, create)
    except ProviderError as e:
        if not is_server_error(e):
            raise
        found = lookup()
        if found is not None:
            return found
        return call(doing, create)


def _find_comment(issue: Issue, head: str) -> IssueComment | None:
    for comment in issue.get_comments():
        if (comment.body or "").startswith(head):
            return comment
    return None


def sticky_comment(repo: Repository, number: int, text: str, key: str, overflow_url: str | None) -> Outcome:
    head = marker(key)
    body = fit_body(head, text, overflow_url)
    issue = repo.get_issue(number)  # lazy: no request; PR conversation comments are issue comments
    with github_errors(f"reading the comments of #{number}"):
        existing = _find_comment(issue, head)
    if existing is not None:
        if existing.body == body:
            return Outcome("unchanged", existing.id, existing.html_url)
        call(f"editing comment {existing.id}", lambda: existing.edit(body))
        return Outcome("updated", existing.id, existing.html_url)
    lookup = lambda: call("re-reading comments", lambda: _find_comment(issue, head))  # noqa: E731
    comment = created_once(f"commenting on #{number}", lambda: issue.create_comment(body), lookup)
    return Outcome("created", comment.id, comment.html_url)


def _is_ours(issue: Issue, head: str) -> bool:
    # Pull requests are issues too; `pull_request` would cost a request per item, html_url costs none.
    return "/pull/" not in (issue.html_url or "") and (issue.body or "").startswith(head)


def _find(repo: Repository, label: str, key: str, state: str, pages: int | None = None) -> Issue | None:
    head = marker(key)
    listing = repo.get_issues(state=state, labels=[label], sort="updated", direction="desc")
    if pages is None:
        return next((i for i in listing if _is_ours(i, head)), None)
    for page in range(pages):
        items = listing.get_page(page)
        if found := next((i for i in items if _is_ours(i, head)), None):
            return found
        if not items:
            break
    return None


def find_issue(repo: Repository, label: str, key: str) -> IssueRef | None:
    with github_errors(f"listing open issues labelled {label!r}"):
        issue = _find(repo, label, key, "open")
        if issue is None:
            return None
        return IssueRef(issue.number, issue.title, issue.body or "", issue.html_url)


def list_open(repo: Repository, label: str) -> tuple[OpenItem, ...]:
    """Open issues and PRs with `label` (GitHub's issue list holds both); every field read is in the list payload."""
    with github_errors(f"listing open issues and pull requests labelled {label!r}"):
        return tuple(
            OpenItem(
                number=i.number,
                title=i.title,
                body=i.body or "",
                url=i.html_url,
                is_pull="/pull/" in (i.html_url or ""),
                key=key_of(i.body),
            )
            for i in repo.get_issues(state="open", labels=[label], sort="updated", direction="desc")
        )


def _ensure_label(repo: Repository, name: str) -> None:
    from github import UnknownObjectException

    try:
        call(f"reading label {name!r}", lambda: repo.get_label(name).color)  # `.name` alone is lazy: no request
        return
    except ProviderError as e:
        if not isinstance(e.__cause__, UnknownObjectException):
            raise
    color, description = KNOWN_LABELS.get(name, (DEFAULT_COLOR, "Used by the reconciler"))
    try:
        call(f"creating label {name!r}", lambda: repo.create_label(name, color, description))
    except Conflict as e:  # created meanwhile by a concurrent run: what we wanted
        if "already" not in str(e):
            raise


def ensure_labels(repo: Repository, names: Sequence[str]) -> None:
    """Create each label that does not exist yet; called only on the write path."""
    for name in dict.fromkeys(names):
        _ensure_label(repo, name)


def report_issue(repo: Repository, report: IssueReport) -> Outcome:
    head = marker(report.key)
    body = fit_body(head, report.body, None)
    labels = [report.label, *report.labels]
    with github_errors(f"listing open issues labelled {report.label!r}"):
        issue = _find(repo, report.label, report.key, "open")
    if issue is not None:
        found = issue
        if issue.body == body and issue.title == report.title:
            return Outcome("unchanged", issue.number, issue.html_url)
        call(f"updating issue #{issue.number}", lambda: found.edit(title=report.title, body=body))
        return Outcome("updated", issue.number, issue.html_url)
    ensure_labels(repo, labels)
    # The condition is back: reopen its most recent issue (first page only), so the history stays in one place.
    with github_errors(f"listing closed issues labelled {report.label!r}"):
        closed = _find(repo, report.label, report.key, "closed", pages=1)
    if closed is not None:
        call(
            f"reopening issue #{closed.number}",
            lambda: closed.edit(title=report.title, body=body, state="open", state_reason="reopened"),
        )
        call(f"commenting on #{closed.number}", lambda: closed.create_comment("The condition is back; reopened."))
        return Outcome("reopened", closed.number, closed.html_url)
    issue = created_once(
        f"opening an issue labelled {report.label!r}",
        lambda: repo.create_issue(title=report.title, body=body, labels=labels),
        lambda: call("re-listing issues", lambda: _find(repo, report.label, report.key, "open")),
    )
    return Outcome("created", issue.number, issue.html_url)


def resolve_issue(repo: Repository, label: str, key: str, comment: str, reason: CloseReason) -> Outcome:
    with github_errors(f"listing open issues labelled {label!r}"):
        issue = _find(repo, label, key, "open")
    if issue is None:
        return Outcome("absent")
    # A comment only here, on the state change, so watchers hear once that it cleared.
    call(f"commenting on #{issue.number}", lambda: issue.create_comment(comment))
    call(f"closing issue #{issue.number}", lambda: issue.edit(state="closed", state_reason=reason))
    return Outcome("closed", issue.number, issue.html_url)
