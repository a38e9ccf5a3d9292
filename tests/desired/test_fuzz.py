"""Arbitrary YAML-like input never produces a traceback or the bug exit code 3: only 0 or 1 with located problems."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from reconciler.desired.load import load_desired_state
from reconciler.errors import InvalidInput

EXAMPLE = (Path(__file__).resolve().parents[2] / "desired-state" / "production.yaml").read_text(encoding="utf-8")
KEYS = [
    "environment",
    "railway",
    "services",
    "api",
    "image",
    "version",
    "replicas",
    "autoscaling",
    "min",
    "max",
    "deploy_window",
    "allow",
    "deny",
    "timezone",
    "backups",
    "retention",
    "keep_last",
    "schedule",
    "env",
    "json",
    "promotion",
    "from",
    "drift",
    "fields",
    "smoke",
    "<<",
    "database",
    "url",
    "maintenance",
    "daily",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["5m", "0 3 * * *", "Mon-Fri 02:00-04:00", "2026-12-24/2026-12-26", "UTC", "{env: X}", "1.4.2"]),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=5),
    ),
    max_leaves=25,
)
YAML_BITS = st.lists(
    st.sampled_from(
        [
            ":",
            " ",
            "\n",
            "\t",
            "-",
            "[",
            "]",
            "{",
            "}",
            ",",
            "&a",
            "*a",
            "!!",
            "!x",
            "<<",
            "'",
            '"',
            "#",
            "|",
            ">",
            "---",
            "...",
            "%YAML 1.1",
            "? ",
            "environment",
            "services",
            "api",
            "\x00",
            "\ufeff",
            "é",
            "\\",
            "0x1F",
        ]
    ),
    max_size=40,
).map("".join)

FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(tmp_path: Path, raw: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "production.yaml"
    path.write_bytes(raw)
    try:
        load_desired_state(path)
    except InvalidInput as invalid:
        assert invalid.problems
        assert all(problem.line >= 0 and problem.column >= 0 for problem in invalid.problems)
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in out + err and "internal error" not in err


@FUZZ
@given(tree=TREES)
def test_arbitrary_trees_never_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str], tree: object) -> None:
    _check(tmp_path, yaml.safe_dump(tree, allow_unicode=True).encode(), capsys)


@FUZZ
@given(text=YAML_BITS)
def test_arbitrary_yaml_syntax_never_crashes(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    _check(tmp_path, text.encode("utf-8", "surrogatepass"), capsys)


@FUZZ
@given(data=st.data())
def test_mutations_of_the_example_never_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    raw = bytearray(EXAMPLE.encode())
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.integers(min_value=0, max_value=255))
        if action == "replace":
            raw[position] = byte
        elif action == "delete":
            del raw[position]
        else:
            raw.insert(position, byte)
    _check(tmp_path, bytes(raw), capsys)
