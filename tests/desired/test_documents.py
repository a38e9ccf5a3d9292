"""YAML reading with positions: anchors, aliases and merge keys work, and positions survive them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.documents import parse
from reconciler.desired.load import load_desired_state
from reconciler.errors import InvalidInput
from tests.desired.cases import write

SHARED = """\
environment: production
railway: {project: fixia, environment: production}
x-service: &service
  image: ghcr.io/fixia/api
  version: "1.4.2"
  replicas: 2
services:
  api: *service
  worker:
    <<: *service
    image: ghcr.io/fixia/worker
"""


def test_anchors_aliases_and_merge_keys_build_plain_data() -> None:
    document, problems = parse(SHARED.encode(), "production.yaml")
    assert problems == [] and document is not None
    services = document.data["services"]
    assert services["api"] == {"image": "ghcr.io/fixia/api", "version": "1.4.2", "replicas": 2}
    # Keys written next to a merge win over the merged ones.
    assert services["worker"] == {"image": "ghcr.io/fixia/worker", "version": "1.4.2", "replicas": 2}


def test_positions_follow_aliases_and_merges_back_to_where_values_are_written() -> None:
    document, _ = parse(SHARED.encode(), "production.yaml")
    assert document is not None
    assert document.position(("services", "api", "replicas")) == (6, 13)
    assert document.position(("services", "worker", "version")) == (5, 12)
    assert document.position(("services", "worker", "image")) == (11, 12)
    assert document.position(("services", "worker", "image"), key=True) == (11, 5)
    assert document.position(("services", "worker", "nowhere")) == (10, 5)


def test_top_level_x_keys_hold_anchors_and_are_otherwise_ignored(tmp_path: Path) -> None:
    state = load_desired_state(write(tmp_path, "production.yaml", SHARED))
    services = state["production"].services
    assert (services["api"].replicas, services["worker"].image_ref) == (2, "ghcr.io/fixia/worker:1.4.2")


def test_an_error_in_a_shared_anchor_is_reported_where_it_is_written(tmp_path: Path) -> None:
    text = SHARED.replace("replicas: 2", "replicas: two")
    with pytest.raises(InvalidInput) as raised:
        load_desired_state(write(tmp_path, "production.yaml", text))
    # Both services use the anchor: one problem each, at the one place to fix.
    assert [str(p) for p in raised.value.problems] == [
        f"{tmp_path}/production.yaml:6:13: expected a whole number, got text"
    ]


def test_merge_of_something_that_is_not_a_mapping_is_a_problem() -> None:
    document, problems = parse(b"a: &x [1, 2]\nb:\n  <<: *x\n", "f.yaml")
    assert document is not None
    assert [str(p) for p in problems] == ["f.yaml:1:4: '<<' merges a mapping or a list of mappings"]


def test_keys_are_text_even_when_yaml_would_read_them_as_booleans() -> None:
    document, problems = parse(b"on: 1\nyes: 2\n3: 4\nnull: 5\n", "f.yaml")
    assert problems == [] and document is not None
    assert document.data == {"on": 1, "yes": 2, "3": 4, "null": 5}


def test_a_complex_key_is_a_problem() -> None:
    _, problems = parse(b"? [a, b]\n: 1\n", "f.yaml")
    assert [str(p) for p in problems] == ["f.yaml:1:3: a key must be plain text, not a list or mapping"]


def test_dates_stay_text_and_a_byte_order_mark_is_accepted() -> None:
    document, problems = parse("\ufeffdeny: 2026-12-24\n".encode(), "f.yaml")
    assert problems == [] and document is not None
    assert document.data == {"deny": "2026-12-24"}
