"""`--project`, discovery and `init` through the command line: a bad project exits 2 before anything starts,
`init` writes a project that `validate` accepts, and scenarios are checked against the active project's
sources and tables (no servers: the stack is never started here)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.project import active, discover, load_project
from fallback.project.builtin import BUILTIN_ROOT, builtin_project

MIGRATIONS = BUILTIN_ROOT / "supabase" / "migrations"
EXAMPLES = BUILTIN_ROOT.parent
PORT = "29250"


@pytest.fixture
def in_dir(tmp_path: Path) -> Iterator[Path]:
    """Run in an empty temporary directory (discovery reads the current one)."""
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def invoke(*args: str, state: Path | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert state is None or not state.exists(), "the stack was started"
    return result.exit_code, " ".join(result.output.split())


def copy_migrations(root: Path) -> Path:
    shutil.copytree(MIGRATIONS, root / "supabase" / "migrations")
    return root


def test_discovery_order(tmp_path: Path) -> None:
    assert discover(None, cwd=tmp_path) is builtin_project()  # nothing here: the built-in example
    project = copy_migrations(tmp_path / "app")
    assert discover(None, cwd=project).root == project  # a supabase/ folder makes it a project
    assert discover(project, cwd=tmp_path).root == project  # --project wins over the current directory
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "fallback.toml").write_text("")
    with pytest.raises(ValueError, match="no migrations"):  # a fallback.toml alone: a project, and a bad one
        discover(None, cwd=tmp_path / "other")


def test_init_then_validate_from_a_folder_with_only_migrations(in_dir: Path) -> None:
    copy_migrations(in_dir)
    code, output = invoke("init")
    assert code == 0, output
    assert (in_dir / "fallback.toml").is_file() and (in_dir / "scenarios" / "example-primary-down.yaml").is_file()
    assert '# tables = ["profiles", "user_challenges"]' in (in_dir / "fallback.toml").read_text()
    code, output = invoke("validate")  # the current directory's project, its scenarios/ folder
    assert code == 0, output
    assert f"1 scenario files are valid (project {in_dir.name})" in output
    project = load_project(in_dir)
    assert project.source_names == ("PRIMARY", "FALLBACK") and project.client == "reference"


def test_init_writes_into_the_project_option_s_folder(tmp_path: Path) -> None:
    root = copy_migrations(tmp_path / "app")
    code, output = invoke("--project", str(root), "init")
    assert code == 0 and (root / "fallback.toml").is_file(), output
    code, output = invoke("init", str(tmp_path / "missing"))
    assert code == 2 and f"{tmp_path / 'missing'}: no such directory" in output


def test_init_refuses_to_overwrite_and_names_the_file(in_dir: Path) -> None:
    copy_migrations(in_dir)
    (in_dir / "fallback.toml").write_text("# mine\n")
    code, output = invoke("init", str(in_dir))
    assert code == 2, output
    assert f"{in_dir / 'fallback.toml'}: already exists" in output
    assert (in_dir / "fallback.toml").read_text() == "# mine\n" and not (in_dir / "scenarios").exists()


def test_init_without_migrations_exits_2(in_dir: Path) -> None:
    (in_dir / "supabase").mkdir()
    code, output = invoke("init")
    assert code == 2 and f"{in_dir / 'supabase' / 'migrations'}: no migrations" in output
    assert not (in_dir / "fallback.toml").exists()


@pytest.mark.parametrize("command", [["run"], ["validate"], ["stack", "up"], ["drill", "--duration", "1s"]])
def test_a_bad_project_exits_2_before_anything_starts(tmp_path: Path, command: list[str]) -> None:
    root = copy_migrations(tmp_path / "app")
    (root / "fallback.toml").write_text('[[sources]]\nname = "PRIMARY"\n\n[[sources]]\nname = "PRIMARY"\n')
    state = tmp_path / "state"
    extra = ["--state-dir", str(state), "--base-port", PORT] if command[0] != "validate" else []
    code, output = invoke("--project", str(root), *command, *extra, state=state)
    assert code == 2, output
    assert f"{root / 'fallback.toml'}:5: sources[1].name: duplicate source name 'PRIMARY' (first on line 2)" in output


def test_a_missing_project_directory_exits_2(tmp_path: Path) -> None:
    code, output = invoke("--project", str(tmp_path / "nope"), "validate")
    assert code == 2 and f"invalid project 1 problem in the project: {tmp_path / 'nope'}: no such directory" in output


def test_a_project_without_scenarios_says_so(tmp_path: Path) -> None:
    root = copy_migrations(tmp_path / "app")
    code, output = invoke("--project", str(root), "validate")
    assert code == 2 and "no scenarios folder" in output and "fallback-harness init" in output


def test_the_default_is_the_builtin_example_and_it_is_restored(in_dir: Path) -> None:
    code, output = invoke("validate")
    assert code == 0, output
    assert re.search(r"\b\d{2} scenario files are valid \(project triple-fallback\)", output), output
    other = copy_migrations(in_dir / "app")
    (other / "scenarios").mkdir()
    scenario = "name: a\ndescription: x\nseed: {profiles: {PRIMARY: 1}}\nworkload: {steps: [{op: load, count: 1}]}\n"
    (other / "scenarios" / "a.yaml").write_text(scenario)
    code, output = invoke("--project", str(other), "validate")
    assert code == 0 and "1 scenario files are valid (project app)" in output, output
    assert active() is builtin_project()  # the command's project does not leak into the caller


SCENARIO = """\
name: unknown-names
description: names a source and a table the project does not have
seed:
  user_challenges: {PRIMARY: 1, REPLICA_EU: 2}
faults:
  - {at: 0s, target: BOLT.api, toxic: down}
workload:
  steps:
    - {op: load, table: invoices, count: 1}
    - {op: update, table: profiles, source: OLD, count: 1}
expect:
  source_counts: {PRIMARY: 0, OLD: 1}
"""


def test_a_scenario_naming_an_unknown_source_or_table_of_the_project_is_refused(tmp_path: Path) -> None:
    root = copy_migrations(tmp_path / "app")
    toml = '[project]\ntables = ["profiles", "user_challenges"]\n\n[[sources]]\nname = "PRIMARY"\n\n'
    (root / "fallback.toml").write_text(toml + '[[sources]]\nname = "REPLICA_EU"\n')
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    code, output = invoke("--project", str(root), "validate", str(scenario))
    assert code == 2, output
    known = "(known: PRIMARY, REPLICA_EU)"
    for line, field, message in [
        (6, "faults[0].target", "unknown target 'BOLT.api' (known: PRIMARY.api, PRIMARY.db,"),
        (9, "workload.steps[0].table", "unknown table 'invoices' (known: profiles, user_challenges)"),
        (10, "workload.steps[1].source", f"unknown source 'OLD' {known}"),
        (12, "expect.source_counts.OLD", f"unknown source 'OLD' {known}"),
    ]:
        assert f"{scenario}:{line}: {field}: {message}" in output, (field, output)
    # the built-in example has BOLT and OLD: there, only REPLICA_EU and the table are unknown
    code, output = invoke("validate", str(scenario))
    assert (
        code == 2
        and "seed.user_challenges.REPLICA_EU: unknown source 'REPLICA_EU' (known: PRIMARY, BOLT, OLD)" in output
    )
    assert "unknown table 'invoices'" in output and "BOLT.api" not in output and "'OLD'" not in output


def test_a_step_s_default_table_is_refused_where_the_project_lacks_it(tmp_path: Path) -> None:
    # a step without `table:` got user_challenges, the built-in example's table, without a word
    root = copy_migrations(tmp_path / "app")
    (root / "fallback.toml").write_text('[project]\ntables = ["profiles"]\n\n[[sources]]\nname = "MAIN"\n')
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\ndescription: x\nseed: {}\nworkload:\n  steps:\n    - {op: load, count: 1}\n")
    code, output = invoke("--project", str(root), "validate", str(scenario))
    assert code == 2, output
    message = "give `table:`: the default 'user_challenges' is not a table of this project (known: profiles)"
    assert f"{scenario}:6: workload.steps[0].table: {message}" in output
    code, output = invoke("validate", str(scenario))  # the built-in example has it: the same file is valid
    assert code == 0, output


def test_project_is_taken_after_the_command_too() -> None:
    from fallback.cli import hoist_project

    assert hoist_project(["run", "--project", "app", "a.yaml"]) == ["--project", "app", "run", "a.yaml"]
    assert hoist_project(["validate", "--project=app"]) == ["--project=app", "validate"]
    assert hoist_project(["--project", "app", "run"]) == ["--project", "app", "run"]
    assert hoist_project(["run", "--", "--project", "x"]) == ["run", "--", "--project", "x"]  # after --: not ours


def test_init_seeds_a_table_that_needs_no_other(in_dir: Path) -> None:
    # found running init on saas-billing's migrations: it picked invoice_lines (first by name), whose rows need
    # invoices, and the scenario it wrote did not load
    shutil.copytree(EXAMPLES / "saas-billing" / "supabase", in_dir / "supabase")
    code, output = invoke("init")
    assert code == 0, output
    assert "table: organizations" in (in_dir / "scenarios" / "example-primary-down.yaml").read_text()
