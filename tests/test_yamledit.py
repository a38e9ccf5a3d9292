"""The scalar editor changes exactly the requested scalars and keeps every other byte."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from reconciler.yamledit import EditError, edit_file_bytes, edit_scalars, read_scalar

DOC = """\
# yaml-language-server: $schema=schema.json
environment: production   # the live one

services:
  api:
    image: ghcr.io/fixia/api
    version: 1.4.2        # bumped by PRs
    replicas: 1
    quoted: 'single'
    dquoted: "double"
    autoscaling: {min: 1, max: 5}

  web:
    version: "2.0"
    tags: [a, b]
    notes: |
      keep
      me
"""

REPO = Path(__file__).resolve().parents[1]


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize(
    ("path", "value", "expected_line"),
    [
        (("services", "api", "replicas"), 3, "    replicas: 3"),
        (("services", "api", "version"), "1.5.0", "    version: 1.5.0        # bumped by PRs"),
        (("services", "api", "version"), "1.5", '    version: "1.5"        # bumped by PRs'),
        (("services", "api", "version"), "yes", '    version: "yes"        # bumped by PRs'),
        (("services", "api", "quoted"), "it's", "    quoted: 'it''s'"),
        (("services", "api", "dquoted"), 'say "hi"', '    dquoted: "say \\"hi\\""'),
        (("services", "api", "autoscaling", "max"), 7, "    autoscaling: {min: 1, max: 7}"),
        (("services", "web", "version"), "2.1", '    version: "2.1"'),
        (("services", "web", "tags", 1), "c", "    tags: [a, c]"),
        (("environment",), "prod", "environment: prod   # the live one"),
    ],
)
def test_one_scalar_changes_one_line_in_its_style(
    path: tuple[str | int, ...], value: object, expected_line: str
) -> None:
    after = edit_scalars(DOC, {path: value})  # type: ignore[dict-item]
    diff = changed_lines(DOC, after)
    assert len(diff) == 2, diff
    assert diff[1] == "+" + expected_line
    assert read_scalar(after, path) == value


def test_several_edits_at_once_keep_everything_else() -> None:
    edits = {("services", "api", "replicas"): 2, ("services", "web", "version"): "2.0.1"}
    after = edit_scalars(DOC, edits)  # type: ignore[arg-type]
    assert len(changed_lines(DOC, after)) == 4
    reread = yaml.safe_load(after)
    original = yaml.safe_load(DOC)
    original["services"]["api"]["replicas"] = 2
    original["services"]["web"]["version"] = "2.0.1"
    assert reread == original


def test_crlf_line_endings_survive() -> None:
    data = DOC.replace("\n", "\r\n").encode()
    after = edit_file_bytes(data, {("services", "api", "replicas"): 4})
    assert after == data.replace(b"replicas: 1", b"replicas: 4")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("services", "db"), "no key services.db"),
        (("services", "api"), "services.api is not a scalar"),
        (("services", "web", "notes"), "block scalar"),
        (("services", "web", "tags", 5), "no item services.web.tags.5"),
        (("services", "web", "tags", "x"), "does not match"),
    ],
)
def test_impossible_edits_fail_clearly(path: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(EditError, match=message):
        edit_scalars(DOC, {path: 1})


def scalar_paths(node: yaml.Node, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], object]]:
    found: list[tuple[tuple[str | int, ...], object]] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += scalar_paths(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += scalar_paths(item, (*path, i))
    elif isinstance(node, yaml.ScalarNode) and node.style not in ("|", ">"):
        found.append((path, yaml.safe_load(yaml.serialize(node))))
    return found


EXAMPLES = sorted(p for p in (REPO / "desired-state").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_files_round_trip_byte_for_byte(example: Path) -> None:
    """Rewriting every scalar with its own value changes nothing; changing one changes exactly one line."""
    data = example.read_bytes()
    text = data.decode()
    paths = scalar_paths(yaml.compose(text, Loader=yaml.SafeLoader))
    assert paths, "the example has scalars"
    same = {path: value for path, value in paths if isinstance(value, str | int | float | bool) or value is None}
    assert edit_file_bytes(data, same) == data  # type: ignore[arg-type]
    for path, value in paths:
        if isinstance(value, bool) or not isinstance(value, int | str):
            continue
        new = value + 1 if isinstance(value, int) else value + "-x"
        after = edit_scalars(text, {path: new})
        assert len(changed_lines(text, after)) == 2, path
        assert read_scalar(after, path) == new


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STYLED = "a:\n  plain: x\n  single: 'x'\n  double: \"x\"\n  flow: {k: x, n: 1}\n# tail comment\n"


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(st.text(), st.integers(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)),
    key=st.sampled_from(["plain", "single", "double", ("flow", "k")]),
)
def test_any_value_reads_back_exactly_and_touches_one_line(value: object, key: object) -> None:
    path = ("a", *key) if isinstance(key, tuple) else ("a", key)
    after = edit_scalars(STYLED, {path: value})  # type: ignore[dict-item]
    assert read_scalar(after, path) == value
    assert len(after.splitlines()) == len(STYLED.splitlines())
    assert len(changed_lines(STYLED, after)) <= 2
