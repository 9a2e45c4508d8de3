"""`load_project`: a project directory read into a `Project`, every problem as `file:line: field: message`
(no servers: pure reading and checking)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fallback.project import ProjectError, load_project
from fallback.project.builtin import BUILTIN_ROOT, builtin_project
from fallback.project.tables import declared_tables

MIGRATION = BUILTIN_ROOT / "supabase" / "migrations" / "20240101000000_spec_tables.sql"


def make(tmp_path: Path, toml: str | None = None, *, migrations: bool = True) -> Path:
    root = tmp_path / "app"
    (root / "supabase" / "migrations").mkdir(parents=True)
    if migrations:
        shutil.copy(MIGRATION, root / "supabase" / "migrations")
    if toml is not None:
        (root / "fallback.toml").write_text(toml)
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ProjectError) as info:
        load_project(root)
    return [str(p) for p in info.value.problems]


def sources(*names: str) -> str:
    return "".join(f'[[sources]]\nname = "{name}"\n\n' for name in names)


def test_the_builtin_example_loads_through_the_loader() -> None:
    project = builtin_project()
    assert project.builtin and project.name == "triple-fallback"
    assert project.source_names == ("PRIMARY", "BOLT", "OLD")
    assert project.tables == ("profiles", "user_challenges") and project.client == "both"
    assert project.migrations == (MIGRATION,)
    assert project.scenario_dir == BUILTIN_ROOT / "scenarios"
    assert project.config_file == BUILTIN_ROOT / "fallback.toml"


def test_without_fallback_toml_a_project_gets_the_defaults(tmp_path: Path) -> None:
    root = make(tmp_path)
    (root / "supabase" / "seed.sql").write_text("select 1;\n")
    project = load_project(root)
    assert project.name == "app" and project.source_names == ("PRIMARY",)  # the documented default: one source
    assert project.schemas == ("public",) and project.tables is None and project.client == "both"
    assert project.seed == root / "supabase" / "seed.sql"
    assert project.scenario_dir is None and project.config_file is None and not project.builtin


def test_every_key_is_read(tmp_path: Path) -> None:
    root = make(tmp_path)
    (root / "legacy" / "migrations").mkdir(parents=True)
    (root / "legacy" / "migrations" / "b.sql").write_text("select 2;\n")
    (root / "legacy" / "migrations" / "a.sql").write_text("select 1;\n")
    (root / "legacy" / "seed.sql").write_text("select 3;\n")
    (root / "tests").mkdir()
    config = """
[project]
name = "billing"
schemas = ["public", "api"]
tables = ["profiles"]
client = "reference"
scenarios = "tests"

[[sources]]
name = "PRIMARY"

[[sources]]
name = "LEGACY"
migrations = ["legacy/migrations"]
seed = "legacy/seed.sql"
"""
    (root / "fallback.toml").write_text(config)
    project = load_project(root)
    assert project.name == "billing" and project.schemas == ("public", "api") and project.tables == ("profiles",)
    assert project.client == "reference" and project.scenario_dir == root / "tests"
    legacy = project.source("LEGACY")
    assert [p.name for p in legacy.migrations] == ["a.sql", "b.sql"] and legacy.seed == root / "legacy" / "seed.sql"
    assert project.source("PRIMARY").migrations == ()


def test_no_migrations_names_the_folder(tmp_path: Path) -> None:
    root = make(tmp_path, migrations=False)
    (found,) = problems(root)
    assert found.startswith(f"{root / 'supabase' / 'migrations'}: no migrations")
    assert "supabase/migrations/*.sql" in found


def test_a_missing_directory(tmp_path: Path) -> None:
    (found,) = problems(tmp_path / "nowhere")
    assert found == f"{tmp_path / 'nowhere'}: no such directory"


@pytest.mark.parametrize("count", [0, 9])
def test_a_source_count_outside_1_to_8(tmp_path: Path, count: int) -> None:
    toml = (
        "# none\nsources = []\n"
        if count == 0
        else '[project]\nname = "x"\n\n' + sources(*(f"S{i}" for i in range(count)))
    )
    root = make(tmp_path, toml)
    (found,) = problems(root)
    line = 2 if count == 0 else 4  # the key, or the first [[sources]]
    assert found == f"{root / 'fallback.toml'}:{line}: sources: 1 to 8 sources, in priority order; got {count}"


def test_a_duplicate_source_name(tmp_path: Path) -> None:
    root = make(tmp_path, sources("PRIMARY", "BOLT", "PRIMARY"))
    (found,) = problems(root)
    assert found == f"{root / 'fallback.toml'}:8: sources[2].name: duplicate source name 'PRIMARY' (first on line 2)"


@pytest.mark.parametrize("name", ["replica-eu", "Primary", "9LIVES", "", "A" * 33])
def test_a_bad_source_name(tmp_path: Path, name: str) -> None:
    root = make(tmp_path, sources("PRIMARY", name))
    (found,) = problems(root)
    assert found.startswith(f"{root / 'fallback.toml'}:5: sources[1].name: {name!r}: a source name is upper case")


@pytest.mark.parametrize(
    ("toml", "line", "field", "message"),
    [
        ('[project]\nnmae = "x"\n', 2, "project.nmae", "unknown key 'nmae' (known: name, schemas"),
        ('[[sources]]\nname = "A"\nmigration = []\n', 3, "sources[0].migration", "did you mean 'migrations'?"),
        ('[projects]\nname = "x"\n', 1, "projects", "(known: project, sources); did you mean 'project'?"),
    ],
)  # fmt: skip
def test_an_unknown_key_suggests_the_near_miss(tmp_path: Path, toml: str, line: int, field: str, message: str) -> None:
    root = make(tmp_path, toml)
    (found,) = problems(root)
    assert found.startswith(f"{root / 'fallback.toml'}:{line}: {field}: ") and message in found


def test_per_source_paths_that_do_not_exist(tmp_path: Path) -> None:
    toml = sources("PRIMARY", "OLD") + 'migrations = ["old/migrations"]\nseed = "old/seed.sql"\n'
    root = make(tmp_path, toml)
    where = f"(relative to the project, {root})"
    assert problems(root) == [
        f"{root / 'fallback.toml'}:7: sources[1].migrations[0]: no such file or folder: old/migrations {where}",
        f"{root / 'fallback.toml'}:8: sources[1].seed: no such file: old/seed.sql {where}",
    ]


def test_a_scenarios_folder_that_does_not_exist(tmp_path: Path) -> None:
    root = make(tmp_path, '[project]\nname = "x"\nscenarios = "drills"\n')
    (found,) = problems(root)
    assert (
        found
        == f"{root / 'fallback.toml'}:3: project.scenarios: no such folder: drills (relative to the project, {root})"
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[project]\nname = 3\n', ":2: project.name: Input should be a valid string (got 3)"),
        ('[project]\nschemas = []\n', ":2: project.schemas: give at least one name"),
        ('[project]\ntables = ["a", "b", "a"]\n', ":2: project.tables: named twice: a"),
        ('[project]\nclient = "nope"\n', ":2: project.client: unknown client 'nope'"),
        ('[project]\nname = "x"\n\n[[sources]]\nseed = "s.sql"\n', ":4: sources[0].name: required, but missing"),
        ('[project\nname = "x"\n', ":1: not valid TOML: "),
    ],
)  # fmt: skip
def test_bad_values_name_their_line(tmp_path: Path, toml: str, expected: str) -> None:
    root = make(tmp_path, toml)
    (found,) = problems(root)
    assert found.startswith(f"{root / 'fallback.toml'}{expected}"), found


def test_every_problem_is_listed(tmp_path: Path) -> None:
    root = make(tmp_path, sources("A", "B", "A") + '[project]\nscenarios = "nope"\n', migrations=False)
    found = problems(root)
    assert [p.split(": ")[1] for p in found] == ["sources[2].name", "project.scenarios", "no migrations"]


def test_declared_tables_reads_create_table_in_the_exposed_schemas(tmp_path: Path) -> None:
    root = make(tmp_path)
    (root / "supabase" / "migrations" / "30_more.sql").write_text(
        "-- create table commented_out (id int);\n"
        'CREATE TABLE IF NOT EXISTS public."Orders" (id int primary key);\n'
        "create table private.secrets (id int);\ncreate unlogged table api.events (id int);\n"
    )
    assert declared_tables(load_project(root)) == ("profiles", "user_challenges", "Orders")


def test_lines_are_found_past_multi_line_strings_and_comments(tmp_path: Path) -> None:
    toml = (
        '[project]\nname = """my\nsources = "not a key"\n"""\n# [[sources]]\n[[sources]]  # the first\nname = "lower"\n'
    )
    root = make(tmp_path, toml)
    (found,) = problems(root)
    assert found.startswith(f"{root / 'fallback.toml'}:7: sources[0].name: 'lower': a source name is upper case")
