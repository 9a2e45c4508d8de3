"""Defect 4 (a YAML alias bomb) and defect 5 (a directory with no scenario files passed, `.YAML`
ignored, a file given twice run twice)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.scenario import ScenarioError, load_scenario, load_scenarios, scenario_files
from fallback.scenario.limits import MAX_FILE_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)
"""A "billion laughs": 9 levels of 9 aliases each, 9**9 (387 million) strings once expanded."""
MEMORY_LIMIT = 512 * 1024 * 1024


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_alias_bomb_is_rejected_without_expanding(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    assert len(BOMB) < 400
    started = time.monotonic()
    # In a child with 512 MiB of address space and 60 s: expanding the aliases would need gigabytes.
    done = subprocess.run(
        [sys.executable, "-m", "fallback", "validate", str(bomb)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{bomb}:1: YAML anchors and aliases (&name, *name) are not allowed" in done.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: &n x\ndescription: d\nworkload: {steps: [{op: load, count: 1}]}\n", 1),
        ("name: x\ndescription: d\nbase: &s {op: load, count: 1}\nworkload: {steps: [*s]}\n", 3),
    ],
)
def test_anchors_and_aliases_are_refused_with_their_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    refused = "YAML anchors and aliases (&name, *name) are not allowed"
    assert [(p.line, p.message.split(":")[0]) for p in info.value.problems] == [(line, refused)]


def test_deep_nesting_and_huge_files_are_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    huge = tmp_path / "huge.yaml"
    huge.write_text("name: x\ndescription: '" + "x" * MAX_FILE_BYTES + "'\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios([deep, huge])
    messages = {Path(p.file).name: p.message for p in info.value.problems}
    assert messages == {
        "deep.yaml": "nested too deeply: not a scenario file",
        "huge.yaml": f"larger than {MAX_FILE_BYTES} bytes: not a scenario file",
    }


def test_a_directory_without_scenarios_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "scenarois"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a scenario")
    (empty / "sub.yaml").mkdir()  # a directory named like a file
    with pytest.raises(ScenarioError, match=rf"{empty}: no scenarios found in {empty}"):
        scenario_files([empty])
    with pytest.raises(ScenarioError, match="no scenarios found"):
        scenario_files([FIXTURES / "valid_minimal.yaml", empty])  # each directory given must hold some


def test_upper_case_extensions_and_each_file_once(tmp_path: Path) -> None:
    text = (FIXTURES / "valid_minimal.yaml").read_text()
    (tmp_path / "a.YAML").write_text(text)
    (tmp_path / "b.YML").write_text(text.replace("name: baseline", "name: other"))
    (tmp_path / "link.yaml").symlink_to(tmp_path / "a.YAML")
    files = scenario_files([tmp_path, tmp_path / "a.YAML", Path(str(tmp_path) + "/./b.YML"), tmp_path])
    assert [f.name for f in files] == ["a.YAML", "b.YML"]
    assert [s.name for s in load_scenarios(files)] == ["baseline", "other"]
    # load_scenarios itself reads a file named twice once (no "name is also used by" error)
    assert [s.name for s in load_scenarios([tmp_path / "a.YAML", tmp_path / "link.yaml"])] == ["baseline"]


def test_validate_and_run_exit_2_on_an_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    state = tmp_path / "state"
    validate = CliRunner().invoke(app, ["validate", str(empty)])
    assert validate.exit_code == 2, validate.output
    assert f"no scenarios found in {empty}" in validate.output
    run = CliRunner().invoke(
        app,
        [
            "run",
            str(empty),
            "--state-dir",
            str(state),
            "--base-port",
            "35200",
            "--report-dir",
            str(tmp_path / "reports"),
        ],
    )
    assert run.exit_code == 2, run.output
    assert f"no scenarios found in {empty}" in run.output
    assert not state.exists() and not (tmp_path / "reports").exists()  # nothing started, nothing written
