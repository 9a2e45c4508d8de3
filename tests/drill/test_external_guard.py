"""External projects: config to state, and writes refused unless the config allows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fallback.drill import DrillOptions, TrafficPlan, planned_windows, run_drill
from fallback.engine.run import check_scenario
from fallback.scenario import Scenario
from fallback.stack.external import (
    ExternalConfigError,
    WritesNotAllowed,
    ensure_writes_allowed,
    external_state,
    is_reachable,
    load_external_config,
    writes_allowed,
)
from fallback.stack.state import StackState, load_state

CONFIG = """
sources:
  - {name: PRIMARY, url: "https://primary.example.supabase.co/", anon_key_env: P_ANON, service_role_key: svc}
  - {name: BOLT, url: "https://bolt.example.supabase.co", anon_key: b-anon}
  - {name: OLD, url: "https://old.example.supabase.co", anon_key: o-anon, db_dsn_env: OLD_DB}
"""


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "external.yaml"
    path.write_text(extra + CONFIG)
    return path


def test_config_becomes_an_external_state(tmp_path: Path) -> None:
    config = load_external_config(_config(tmp_path))
    state = external_state(config, tmp_path / "state", env={"P_ANON": "p-anon", "OLD_DB": "postgresql://x/y"})
    assert load_state(tmp_path / "state") == state
    assert state.kind == "external" and state.toxiproxy_url == ""
    primary, bolt, old = state.sources
    assert (primary.api_url, primary.anon_key, primary.service_role_key) == (
        "https://primary.example.supabase.co",
        "p-anon",
        "svc",
    )
    assert bolt.service_role_key == "b-anon" and bolt.db_dsn == ""
    assert old.db_dsn == "postgresql://x/y"
    assert not writes_allowed(state)


def test_a_missing_key_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ExternalConfigError, match="P_ANON"):
        external_state(load_external_config(_config(tmp_path)), tmp_path / "state", env={})
    (tmp_path / "bad.yaml").write_text("sources: []\n")
    with pytest.raises(ExternalConfigError):
        load_external_config(tmp_path / "bad.yaml")


def _scenario(op: str) -> Scenario:
    return Scenario.model_validate({"name": "s", "description": "d", "workload": {"steps": [{"op": op, "count": 1}]}})


def test_writes_are_refused_unless_allowed(tmp_path: Path) -> None:
    env = {"P_ANON": "k", "OLD_DB": "postgresql://x/y"}
    read_only = external_state(load_external_config(_config(tmp_path)), tmp_path / "ro", env=env)
    ensure_writes_allowed(read_only, writes=False)
    check_scenario(_scenario("load"), read_only)
    with pytest.raises(WritesNotAllowed):
        ensure_writes_allowed(read_only, writes=True)
    for op in ("create", "update", "assign_mt5"):
        with pytest.raises(WritesNotAllowed, match=op):
            check_scenario(_scenario(op), read_only)
    writable = external_state(load_external_config(_config(tmp_path, "allow_writes: true\n")), tmp_path / "rw", env=env)
    ensure_writes_allowed(writable, writes=True)
    check_scenario(_scenario("create"), writable)


@pytest.mark.stack
async def test_a_read_only_drill_against_projects_given_by_url(tmp_path: Path, fallback_stack: StackState) -> None:
    """External mode end to end, with the local stack standing in for three hosted projects (plain HTTP, so the
    local Toxiproxy can sit in front of them: the one case where faults work against "external" projects)."""
    lines = ["toxiproxy: " + fallback_stack.toxiproxy_url, "sources:"]
    for source in fallback_stack.sources:
        lines.append(
            f"  - {{name: {source.name}, url: '{source.api_url}', anon_key: '{source.anon_key}', "
            f"service_role_key: '{source.service_role_key}'}}"
        )
    (tmp_path / "external.yaml").write_text("\n".join(lines) + "\n")
    state = external_state(load_external_config(tmp_path / "external.yaml"), tmp_path / "state", env={})
    assert is_reachable(state)
    plan = TrafficPlan(rate_per_s=20, duration_s=3, mix={"load": 1})
    ensure_writes_allowed(state, writes=plan.writes())
    options = DrillOptions(
        plan=plan, seed_rows=None, check=False, windows=planned_windows(["PRIMARY.api@1s-2s"], None, 3)
    )
    result = await run_drill(options, state)
    figures = result.run.drill
    assert figures is not None and figures.operations == 60 and figures.availability == 1.0
    assert result.run.checker is None and figures.faults[0].time_to_fail_over_s is not None
