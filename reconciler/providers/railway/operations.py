"""The GraphQL documents the Railway client sends, loaded from `operations/*.graphql` as plain strings.

Each operation lives in its own file named after the operation; shared fragments live in `_fragments.graphql` and
are appended to an operation's document only when it uses them (transitively), so each document sent is exactly
what the schema test validates. No GraphQL library is needed here: the client must run without graphql-core.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_FRAGMENT_DEF = re.compile(r"^fragment\s+(\w+)\s+on\s+\w+\s*\{", re.MULTILINE)
# A spread `...Name`, not an inline fragment `... on Type`.
_SPREAD = re.compile(r"\.\.\.\s*(?!on\b)([A-Za-z_]\w*)")


def _read(name: str) -> str:
    return resources.files(__package__).joinpath("operations", name).read_text(encoding="utf-8")


def _split_definitions(text: str) -> dict[str, str]:
    """Fragment name -> its definition text (a fragment runs until the next one starts)."""
    starts = [(m.group(1), m.start()) for m in _FRAGMENT_DEF.finditer(text)]
    out: dict[str, str] = {}
    for i, (name, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(text)
        out[name] = text[start:end].strip() + "\n"
    return out


@functools.cache
def fragments() -> dict[str, str]:
    return _split_definitions(_read("_fragments.graphql"))


def operation_names() -> list[str]:
    """Every operation shipped with the client (file stems), sorted."""
    folder = resources.files(__package__).joinpath("operations")
    return sorted(
        p.name.removesuffix(".graphql")
        for p in folder.iterdir()
        if p.name.endswith(".graphql") and not p.name.startswith("_")
    )


@functools.cache
def document(name: str) -> str:
    """The full document for operation `name`: its file plus every fragment it needs."""
    body = _read(f"{name}.graphql")
    known = fragments()
    needed: list[str] = []
    pending = list(_SPREAD.findall(body))
    while pending:
        frag = pending.pop(0)
        if frag in needed:
            continue
        if frag not in known:
            raise KeyError(f"operation {name} uses unknown fragment {frag}")
        needed.append(frag)
        pending.extend(_SPREAD.findall(known[frag]))
    return body.rstrip() + "\n\n" + "\n".join(known[f] for f in needed)
