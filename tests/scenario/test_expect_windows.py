"""Expectations over time in scenario files: the forms that load, and every wrong one refused before
anything starts with `file:line: field: problem` (unknown fault names included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.scenario import ScenarioError, load_scenario

HEAD = """name: windows
description: PRIMARY down from 1s to 3s.
faults:
  - {name: outage, at: 1s, until: 3s, target: PRIMARY.api, toxic: down}
  - {name: forever, at: 0s, target: OLD.api, toxic: latency, attributes: {latency: 10}}
workload:
  steps:
    - {op: load, table: user_challenges, rate: 5/s, duration: 5s}
"""


def _file(tmp_path: Path, expect: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + expect, encoding="utf-8")
    return path


def _problems(tmp_path: Path, expect: str) -> list[str]:
    path = _file(tmp_path, expect)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p).removeprefix(f"{path}:") for p in info.value.problems]


def test_windows_and_times_load(tmp_path: Path) -> None:
    scenario = load_scenario(
        _file(
            tmp_path,
            """expect:
  windows:
    - during: outage
      availability: {op: load, min: 1.0}
      degraded: true
    - after: outage
      source_counts: {PRIMARY: 45}
      latency_ms: [{op: load, p95: {max: 300}}]
    - between: [500ms, 1s]
      error: {op: load, kind: refused}
  recovers_within: {source: PRIMARY, after: outage, max: 5s}
  fails_over_within: [{after: outage, max: 500ms}]
""",
        )
    )
    windows = scenario.expect.windows
    assert [w.scope() for w in windows] == ["during outage", "after outage", "between 0.5s and 1s"]
    assert set(windows[0].checks()) == {"availability", "degraded"}
    assert scenario.expect.recovers_within[0].max == 5.0
    assert scenario.expect.fails_over_within[0].max == 0.5
    assert scenario.faults[0].name == "outage"


@pytest.mark.parametrize(
    ("expect", "problem"),
    [
        (
            "expect:\n  windows:\n    - {during: outage2, degraded: true}\n",
            "11: expect.windows[0].during: no fault is named 'outage2' (named: forever, outage)",
        ),
        (
            "spec_expect:\n  recovers_within: {source: PRIMARY, after: nope, max: 5s}\n",
            "10: spec_expect.recovers_within[0].after: no fault is named 'nope' (named: forever, outage)",
        ),
        (
            "expect:\n  fails_over_within: {after: gone, max: 1s}\n",
            "10: expect.fails_over_within[0].after: no fault is named 'gone' (named: forever, outage)",
        ),
        (
            "expect:\n  windows:\n    - {after: forever, degraded: false}\n",
            "11: expect.windows[0].after: fault 'forever' has no `until`: it lasts to the end of the workload, "
            "so nothing comes after it",
        ),
        (
            "expect:\n  recovers_within: {source: OLD, after: forever, max: 1s}\n",
            "10: expect.recovers_within[0].after: fault 'forever' has no `until`",
        ),
        (
            "expect:\n  windows:\n    - {during: outage, after: outage, degraded: true}\n",
            "11: expect.windows[0]: give exactly one of during, after, between (got during, after)",
        ),
        (
            "expect:\n  windows:\n    - {during: outage}\n",
            "11: expect.windows[0]: give at least one of availability, latency_ms, error, degraded, source_counts",
        ),
        (
            "expect:\n  windows:\n    - {between: [3s, 1s], degraded: true}\n",
            "11: expect.windows[0].between: [start, end] with 0 <= start < end, got [3s, 1s]",
        ),
        (
            "expect:\n  windows:\n    - {during: outage, stale: true}\n",
            "11: expect.windows[0].stale: unknown key 'stale'",
        ),
        (
            "expect:\n  recovers_within: {source: MAIN, after: outage, max: 1s}\n",
            "10: expect.recovers_within[0].source: unknown source 'MAIN'",
        ),
    ],
)
def test_a_wrong_window_is_refused_with_file_line_field(tmp_path: Path, expect: str, problem: str) -> None:
    found = _problems(tmp_path, expect)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_fault_names_are_unique_and_well_formed(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.replace("name: forever", "name: outage") + "expect: {merged_count: 1}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [str(p) for p in info.value.problems] == [f"{path}:5: faults[1].name: 'outage' also names faults[0]"]
    path.write_text(HEAD.replace("name: forever", "name: 'two words'"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"s\.yaml:5: faults\[1\]\.name: String should match pattern"):
        load_scenario(path)


def test_validate_exits_2_naming_the_reference(tmp_path: Path) -> None:
    path = _file(tmp_path, "expect:\n  windows:\n    - {during: outtage, degraded: true}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:11: expect.windows[0].during: no fault is named 'outtage'" in result.output
