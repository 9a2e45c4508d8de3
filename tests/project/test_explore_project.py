"""`explore` draws its schedules from the active project: its sources, its tables, its fault targets (not the
built-in example's PRIMARY/BOLT/OLD and user_challenges/profiles); the example's own draws are unchanged."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fallback.explore.strategies import explore_scenarios, explore_tables, stratified_plan
from fallback.project import Project, SourceSpec, activate

OTHER = Project(
    root=Path("/nonexistent/shop"),
    name="shop",
    sources=(SourceSpec("MAIN"), SourceSpec("REPLICA_EU"), SourceSpec("LEGACY"), SourceSpec("ARCHIVE")),
    migrations=(),
    tables=("orders", "customers"),
)


def test_the_example_s_tables_keep_their_draw_order() -> None:
    assert explore_tables() == ("user_challenges", "profiles")
    with activate(OTHER):
        assert explore_tables() == ("orders", "customers")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_schedules_name_only_the_project_s_sources_tables_and_targets(data: st.DataObject) -> None:
    with activate(OTHER):
        scenario = data.draw(explore_scenarios())  # built, so validated: its seed names only OTHER's names
    sources = set(OTHER.source_names)
    for step in scenario.workload.all_steps():
        assert step.op != "assign_mt5"  # the example app's flow: its table is not in this project
        assert step.op == "pause" or step.table in ("orders", "customers")
        assert step.source is None or step.source in sources
    assert all(fault.source in sources for fault in scenario.faults)


def test_the_stratified_plan_covers_the_project_s_targets() -> None:
    with activate(OTHER):
        pinned = {pair.target for pins in stratified_plan() for pair in pins.pairs}
    sources = {target.partition(".")[0] for target in pinned}
    assert sources == set(OTHER.source_names)  # every source of it, none of the example's
    assert {"MAIN.api", "ARCHIVE.db", "LEGACY.postgres", "REPLICA_EU"} <= pinned
