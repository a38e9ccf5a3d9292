"""Adopting a health-check timeout over real sockets: git holds a duration, Railway a number of seconds.

The adopt PR must write the live value back as a duration in the units and quoting git used (`"5m"` -> `"10m"`,
`120s` -> `60s`), so the desired state stays valid and the diff stays one line per field.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.desired.load import load_desired_state
from tests.fixtures.world import World
from tests.test_drift_integration import changed_lines, open_pulls, run_drift

pytestmark = pytest.mark.integration


@pytest.fixture
def world_edit() -> Callable[[str, str], str]:
    def edit(name: str, text: str) -> str:
        if name != "staging":
            return text
        text = text.replace("drift: {default: correct}", "drift: {default: report, fields: {healthcheck: adopt}}")
        return text.replace("      timeout: 300s\n", '      timeout: "5m"\n', 1)  # api: quoted, in minutes

    return edit


def test_a_live_timeout_is_adopted_as_a_duration_in_gits_units_and_quoting(world: World) -> None:
    before = world.repo_text("desired-state/staging.yaml")
    assert '      timeout: "5m"\n' in before and "healthcheck: {path: /, timeout: 120s}" in before
    world.set_deploy("staging", "api", healthcheckTimeout=600)
    world.set_deploy("staging", "web", healthcheckTimeout=60)

    lines = run_drift(world)

    assert "staging: drift staging/api/healthcheck.timeout: live 600, git 300 (adopt)" in lines
    assert "staging: drift staging/web/healthcheck.timeout: live 60, git 120 (adopt)" in lines
    (number,) = open_pulls(world)
    after = world.repo_text("desired-state/staging.yaml", world.repo.pulls[number].head)
    assert changed_lines(before, after) == [
        '-      timeout: "5m"',
        '+      timeout: "10m"',
        "-    healthcheck: {path: /, timeout: 120s}",
        "+    healthcheck: {path: /, timeout: 60s}",
    ]
    # What the PR proposes is a valid desired state that matches live: merged, drift finds nothing left.
    world.desired_dir.joinpath("staging.yaml").write_text(after)
    staging = load_desired_state(world.desired_dir)["staging"]
    api, web = staging.services["api"].healthcheck, staging.services["web"].healthcheck
    assert api is not None and web is not None and api.timeout is not None and web.timeout is not None
    assert (api.timeout.total_seconds(), web.timeout.total_seconds()) == (600, 60)
    assert any(line.startswith("staging: no drift") for line in run_drift(world))
