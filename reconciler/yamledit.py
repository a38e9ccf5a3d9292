"""Change single scalars in a YAML document and leave every other byte as it was.

Adopt PRs write live values back into `desired-state/`; a reviewer must see a one-line diff, not a re-serialised
file. So we never dump YAML: we find each scalar's exact span with `yaml.compose` (its start and end marks) and
splice a new literal into the original text, in the same quoting style. Comments, key order, blank lines, line
endings and the quoting of everything else are untouched. Pure: text in, text out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from reconciler.errors import ReconcilerError

Scalar = str | int | float | bool | None
PathPart = str | int
Path = tuple[PathPart, ...]


# libyaml's loader, when PyYAML was built with it, is ten times faster; its marks count characters the same way.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EditError(ReconcilerError):
    """The requested edit cannot be made without rewriting more than the scalar (or the path does not exist)."""


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    style: str | None  # None = plain; "'" or '"' quoted; "|" or ">" block
    tag: str


def _find(node: yaml.Node, path: Path, file: str) -> yaml.ScalarNode:
    here: list[PathPart] = []
    for part in path:
        here.append(part)
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    node = value
                    break
            else:
                raise EditError(f"{file}: no key {_dotted(here)} to edit")
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                raise EditError(f"{file}: no item {_dotted(here)} to edit")
            node = node.value[part]
        else:
            raise EditError(f"{file}: {_dotted(here)} does not match the document's shape")
    if not isinstance(node, yaml.ScalarNode):
        raise EditError(f"{file}: {_dotted(path)} is not a scalar")
    return node


def _dotted(path: Sequence[PathPart]) -> str:
    return ".".join(str(p) for p in path)


# Characters that would end or change a plain scalar in block or flow context.
_PLAIN_UNSAFE = re.compile(r"[,\[\]{}\n\r\t]|: |:$| #|^[-?:!&*|>'\"%@`#\s]|\s$")


# Characters YAML will not read raw (non-printable), or reads as line breaks; written as escapes instead.
_ESCAPE = re.compile("[^\x09\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufeff\ufff0-\ufffd\U00010000-\U0010ffff]")


def _double(value: str) -> str:
    """A double-quoted YAML scalar on one line (JSON's escapes are YAML's; the rest become \\u escapes)."""
    quoted = json.dumps(value, ensure_ascii=False)
    return _ESCAPE.sub(
        lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) < 0x10000 else f"\\U{ord(m.group()):08x}", quoted
    )


def _render(value: Scalar, style: str | None) -> str:
    """A YAML literal that reads back as `value`, in the original style where that style can express it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        # YAML 1.1 (PyYAML) reads a float only with a dot: `1e+16` would be a string, `1.0e+16` is a float.
        text = repr(value)
        if "e" in text and "." not in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if style == "'" and not _ESCAPE.search(value):
        return "'" + value.replace("'", "''") + "'"
    if style in ("'", '"'):
        return _double(value)
    # Plain: only when it reads back as the same string (`1.5` would become a float, `yes` a bool, `a: b` a mapping).
    if value and not _PLAIN_UNSAFE.search(value):
        try:
            if yaml.safe_load(f"k: {value}") == {"k": value}:
                return value
        except yaml.YAMLError:
            pass
    return _double(value)


def edit_scalars(text: str, edits: Mapping[Path, Scalar], file: str = "<yaml>") -> str:
    """Return `text` with the scalar at each path replaced by its new value; nothing else changes.

    Raises `EditError` when a path is missing, is not a scalar, or is a block scalar (which cannot be replaced
    without reflowing lines).
    """
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as e:
        raise EditError(f"{file}: not valid YAML: {e}") from e
    if root is None:
        raise EditError(f"{file}: the document is empty")
    spans: list[tuple[_Span, Scalar]] = []
    for path, value in edits.items():
        node = _find(root, path, file)
        if node.style in ("|", ">"):
            raise EditError(f"{file}: {_dotted(path)} is a block scalar; edit it by hand")
        current = yaml.constructor.SafeConstructor().construct_object(node, deep=True)
        if current == value and type(current) is type(value):
            continue  # already right: leave its bytes alone (`0.10` stays `0.10`)
        spans.append((_Span(node.start_mark.index, node.end_mark.index, node.style, node.tag), value))
    out = text
    # Splice from the end so earlier offsets stay valid.
    for span, value in sorted(spans, key=lambda s: s[0].start, reverse=True):
        out = out[: span.start] + _render(value, span.style) + out[span.end :]
    return out


def read_scalar(text: str, path: Path, file: str = "<yaml>") -> Scalar:
    """The value at `path`, as the loader would read it (for checks before and after an edit)."""
    data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError) as e:
            raise EditError(f"{file}: no key {_dotted(path)}") from e
    if isinstance(data, dict | list):
        raise EditError(f"{file}: {_dotted(path)} is not a scalar")
    value: Scalar = data
    return value


def edit_file_bytes(data: bytes, edits: Mapping[Path, Scalar], file: str = "<yaml>") -> bytes:
    """`edit_scalars` on raw file bytes: decoding and encoding as UTF-8 keeps CRLF line endings as they were."""
    return edit_scalars(data.decode("utf-8"), edits, file).encode("utf-8")
