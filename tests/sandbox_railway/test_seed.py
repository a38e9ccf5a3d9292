"""Seeding: the default seed loads; a wrong seed names where it is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.railway import DEFAULT_SEED, Emulator, SeedError, load_seed


def test_the_default_seed_has_live_services_in_both_environments() -> None:
    emulator = Emulator(load_seed(DEFAULT_SEED), processes=False)
    names = {(emulator.environments[d.environment_id].name, emulator.services[d.service_id].name)
             for d in emulator.deployments.values() if d.status == "SUCCESS"}  # fmt: skip
    assert names == {("production", "api"), ("production", "web"), ("production", "worker"),
                     ("staging", "api"), ("staging", "web")}  # fmt: skip
    assert emulator.behaviour_for("ghcr.io/fixia/api:9.9.1") == {"behaviour": "fails_health"}
    assert emulator.behaviour_for("ghcr.io/fixia/api:1.4.2") == {"behaviour": "healthy"}
    assert emulator.tokens["sandbox-project-token"] == ("proj-fixia", "env-staging")


def test_a_json_seed_loads_like_yaml(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"projects": [{"name": "p", "services": ["api"], "environments": [{"name": "e"}]}]}')
    emulator = Emulator(load_seed(seed), processes=False)
    assert [e.name for e in emulator.environments.values()] == ["e"]


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"projects": [{"name": "p", "environments": [{"name": "e", "services": {"api": {}}}]}]},
         "projects[0].environments[0].services.api: no service named 'api' in the project"),
        ({"projects": [{"name": "p", "services": ["api"], "environments": [
            {"name": "e", "services": {"api": {"sourse": {}}}}]}]},
         "projects[0].environments[0].services.api: unknown keys ['sourse']"),
        ({"projects": [{"name": "p", "services": ["api"], "environments": [
            {"name": "e", "services": {"api": {"load": {"cpu": "lots"}}}}]}]},
         "projects[0].environments[0].services.api: load.cpu: expected a number or a list of [seconds, value] pairs"),
        ({"settings": {"timings": {"phaze": 1}}}, "settings.timings: "),
        ({"tokens": {"t": {"project": "nope", "environment": "e"}}}, "tokens.t: no such project and environment"),
    ],
)  # fmt: skip
def test_a_wrong_seed_says_where(seed: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedError) as raised:
        Emulator(seed, processes=False)
    assert str(raised.value).startswith(message)


def test_an_unreadable_seed_gives_its_line_and_column(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"projects": [\n  {"name": }\n]}')
    with pytest.raises(SeedError) as raised:
        load_seed(seed)
    assert (raised.value.line, raised.value.column) == (2, 12)
