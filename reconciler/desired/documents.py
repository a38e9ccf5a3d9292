"""YAML documents with positions: parse once into a node tree, build plain data from it, locate any path in it.

PyYAML keeps the last of two equal keys and forgets where values came from; composing the node tree ourselves lets
us refuse duplicate keys and point every later problem at its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Problem

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000  # after expanding aliases: stops "billion laughs" documents
MAX_DEPTH = 64

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR = SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_BUILD = {
    _TAG + "int": _SCALAR.construct_yaml_int,
    _TAG + "float": _SCALAR.construct_yaml_float,
    _TAG + "bool": _SCALAR.construct_yaml_bool,
    _TAG + "null": _SCALAR.construct_yaml_null,
}
# Dates stay text (the models parse what they need); everything else outside the core schema is refused.
_TEXT_TAGS = {_TAG + "str", _TAG + "timestamp"}

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """One YAML file: its plain data, its node tree (None when empty) and where it came from."""

    file: str
    data: Any
    root: Node | None

    def node_at(self, loc: Loc, *, key: bool = False) -> Node | None:
        """The deepest node on the path `loc` (parts that are not in the document are skipped)."""
        node = self.root
        for index, part in enumerate(loc):
            if node is None:
                return None
            last = index == len(loc) - 1
            if isinstance(node, MappingNode):
                found = _entry(node, str(part))
                if found is not None:
                    node = found[0] if (last and key) else found[1]
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
        return node

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the node at `loc`, or of its nearest ancestor in the file."""
        node = self.node_at(loc, key=key)
        if node is None:
            return (1, 1)
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, loc: Loc, message: str, *, key: bool = False) -> Problem:
        line, column = self.position(loc, key=key)
        return Problem(self.file, line, column, message)


def _entry(node: MappingNode, name: str) -> tuple[Node, Node] | None:
    """The (key, value) pair named `name`, looking through `<<` merges as YAML's merge key does."""
    merged: list[MappingNode] = []
    for key_node, value_node in node.value:
        if key_node.tag == _TAG + "merge":
            values = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            merged += [v for v in values if isinstance(v, MappingNode)]
        elif isinstance(key_node, ScalarNode) and key_node.value == name:
            return (key_node, value_node)
    for source in merged:
        found = _entry(source, name)
        if found is not None:
            return found
    return None


class _Builder:
    """Builds plain data from nodes, collecting every problem instead of stopping at the first."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.count = 0

    def at(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, node.start_mark.column + 1, message))

    def build(self, node: Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(f"the document has more than {MAX_NODES} values once aliases are expanded")
        if depth > MAX_DEPTH:
            raise _TooBig(f"values are nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        expected = _TAG + ("seq" if isinstance(node, SequenceNode) else "map")
        if node.tag != expected:
            self.at(node, f"unsupported YAML tag '{node.tag}'")
            return None
        if isinstance(node, SequenceNode):
            return [self.build(item, depth + 1) for item in node.value]
        assert isinstance(node, MappingNode)
        return self.mapping(node, depth)

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag in _TEXT_TAGS:
            return node.value
        build = _BUILD.get(node.tag)
        if build is None:
            self.at(node, f"unsupported YAML tag '{node.tag}'")
            return None
        return build(node)

    def mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Node] = {}
        merges: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged = self.build(value_node, depth + 1)
                parts = merged if isinstance(merged, list) else [merged]
                if not all(isinstance(part, dict) for part in parts):
                    self.at(value_node, "'<<' merges a mapping or a list of mappings")
                    continue
                merges += parts
                continue
            if not isinstance(key_node, ScalarNode):
                self.at(key_node, "a key must be plain text, not a list or mapping")
                continue
            name = key_node.value
            if name in seen:
                first = seen[name].start_mark.line + 1
                self.at(key_node, f"duplicate key '{name}' (first defined on line {first})")
                continue
            seen[name] = key_node
            result[name] = self.build(value_node, depth + 1)
        for merged in merges:  # keys written here win over merged ones, as YAML's merge key says
            for name, value in merged.items():
                result.setdefault(name, value)
        return result


class _TooBig(Exception):
    pass


def _decode(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        before = raw[: e.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [Problem(file, line, column, "the file is not UTF-8 text (binary data or another encoding)")]


def _yaml_problem(error: yaml.YAMLError, text: str, file: str) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return Problem(file, line, column, f"the file contains a control character (#x{error.character:04x})")
    assert isinstance(error, yaml.MarkedYAMLError)
    mark = error.problem_mark or error.context_mark
    message = error.problem or error.context or "invalid YAML"
    if error.context and error.problem and error.context_mark is not None:
        message = f"{message} ({error.context} on line {error.context_mark.line + 1})"
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    lines = text.split("\n")
    at_tab = mark is not None and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t"
    if at_tab:
        message = "a tab character where YAML expects spaces; indent with spaces, not tabs"
    return Problem(file, line, column, f"invalid YAML: {message}")


def parse(raw: bytes, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse one file's bytes. Returns the document (None when it cannot be read at all) and every problem found."""
    if len(raw) > MAX_BYTES:
        return None, [Problem(file, 1, 1, f"the file is too large ({len(raw)} bytes; the limit is {MAX_BYTES})")]
    text, problems = _decode(raw, file)
    if text is None:
        return None, problems
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as e:
        return None, [_yaml_problem(e, text, file)]
    except RecursionError:
        return None, [Problem(file, 1, 1, "values are nested too deeply")]
    if root is None:
        return Document(file, None, None), []
    builder = _Builder(file)
    try:
        data = builder.build(root)
    except _TooBig as e:
        return None, [Problem(file, root.start_mark.line + 1, root.start_mark.column + 1, str(e))]
    except RecursionError:
        return None, [Problem(file, 1, 1, "values are nested too deeply")]
    return Document(file, data, root), builder.problems
