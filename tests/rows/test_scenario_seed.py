"""A scenario's `seed:`: counts and SQL files, errors at their lines, the default per project, seed problems
against a schema (foreign keys into tables left empty), and the users a seed creates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fallback.project import activate
from fallback.project.builtin import builtin_project
from fallback.project.schema import Column, ForeignKey, ProjectSchema, TableSchema
from fallback.project.seeding import seed_order, seed_problems, seeded_user_count, user_table
from fallback.scenario import ScenarioError, load_scenario
from fallback.scenario.dump import dump_scenario
from fallback.scenario.seed import SeedSpec
from fallback.scenario.seed import seed_problems as scenario_seed_problems

WORKLOAD = "workload:\n  steps:\n    - {op: load, table: user_challenges, count: 1}\n"


def _write(tmp_path: Path, seed: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"name: s\ndescription: d\nseed:\n{seed}{WORKLOAD}")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p).split(": ", 1)[0].rsplit(":", 1)[1] + " " + str(p).split(": ", 2)[1] for p in info.value.problems]


def test_counts_and_files_load_and_dump_back(tmp_path: Path) -> None:
    root = builtin_project().root
    path = _write(
        tmp_path,
        "  file: {PRIMARY: fallback.toml, OLD: [fallback.toml, fallback.toml]}\n  user_challenges: {PRIMARY: 3}\n",
    )
    scenario = load_scenario(path)
    assert scenario.seed.counts == {"user_challenges": {"PRIMARY": 3}} and scenario.seed_count("profiles", "OLD") == 0
    assert scenario.seed.files_for("PRIMARY", root) == (root / "fallback.toml",)
    assert scenario.seed.files_for("OLD", root) == (root / "fallback.toml",) * 2 and not scenario.seed.files_for(
        "BOLT", root
    )
    again = tmp_path / "again.yaml"
    again.write_text(dump_scenario(scenario))
    assert load_scenario(again).seed == scenario.seed
    plain = load_scenario(_write(tmp_path, "  user_challenges: {OLD: 2}\n", "plain.yaml"))
    assert "file" not in dump_scenario(plain) and plain.seed.file_names("OLD") == ()


def test_errors_name_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "  user_chalenges: {PRIMARY: 3}\n  profiles: {PRIMARY: -1}\n  file: nowhere.sql\n")
    assert _problems(path) == ["4 seed.user_chalenges", "5 seed.profiles.PRIMARY"]  # the file is checked after
    assert _problems(_write(tmp_path, "  file: {BOLT: [fallback.toml, nowhere.sql]}\n", "f.yaml")) == [
        "4 seed.file.BOLT[1]"
    ]


def test_default_is_the_spec_seed_for_the_builtin_and_the_project_files_otherwise(tmp_path: Path) -> None:
    assert SeedSpec.default().counts["profiles"] == {"PRIMARY": 50, "BOLT": 30, "OLD": 20}
    (tmp_path / "supabase").mkdir()
    (tmp_path / "supabase" / "seed.sql").write_text("SELECT 1;")
    (tmp_path / "old.sql").write_text("SELECT 2;")
    project = builtin_project()
    sources = (project.sources[0], project.sources[1], type(project.sources[2])("OLD", seed=tmp_path / "old.sql"))
    mine = type(project)(
        root=tmp_path, name="mine", sources=sources, migrations=(), seed=tmp_path / "supabase/seed.sql"
    )
    with activate(mine):
        default = SeedSpec.default()
        assert default.counts == {}
        assert default.file_names("PRIMARY") == ("supabase/seed.sql",)
        assert default.file_names("OLD") == ("supabase/seed.sql", "old.sql")
    bare = type(project)(root=tmp_path, name="bare", sources=project.sources, migrations=())
    with activate(bare):
        assert SeedSpec.default() == SeedSpec()


def _col(name: str, base: str = "uuid", nullable: bool = False, unique: bool = False) -> Column:
    return Column(name=name, type=base, base_type=base, nullable=nullable, has_default=False, unique=unique)


def _fk(table: str, column: str, ref: str, schema: str = "public") -> ForeignKey:
    return ForeignKey(
        name=f"{table}_{column}", columns=(column,), ref_schema=schema, ref_table=ref, ref_columns=("id",)
    )


ORGS = TableSchema(schema_name="public", name="orgs", columns=(_col("id"),), primary_key=("id",))
INVOICES = TableSchema(
    schema_name="public",
    name="invoices",
    columns=(_col("id"), _col("org_id"), _col("parent_id", nullable=True)),
    primary_key=("id",),
    foreign_keys=(_fk("invoices", "org_id", "orgs"), _fk("invoices", "parent_id", "invoices")),
)
MEMBERS = TableSchema(
    schema_name="public",
    name="members",
    columns=(_col("org_id"), _col("user_id")),
    primary_key=("org_id", "user_id"),
    foreign_keys=(_fk("members", "org_id", "orgs"),),
    owner_column="user_id",
)
SCHEMA = ProjectSchema(tables=(INVOICES, MEMBERS, ORGS))


def test_foreign_key_into_a_table_left_empty_is_named_with_its_sources() -> None:
    problems = seed_problems(SCHEMA, {"invoices": {"PRIMARY": 3, "BOLT": 2}, "orgs": {"PRIMARY": 1}})
    assert problems == [
        (
            "invoices",
            "invoices.org_id references orgs, which the seed leaves empty in BOLT: seed orgs there too "
            "(rows of invoices must point at rows of the same source)",
        )
    ]
    assert seed_problems(SCHEMA, {"invoices": {"BOLT": 2}}, frozenset({"BOLT"})) == []  # a SQL file may hold them
    assert seed_problems(SCHEMA, {"nope": {"PRIMARY": 1}})[0][0] == "nope"
    seed = SeedSpec.model_construct(**{"invoices": {"PRIMARY": 3}})  # type: ignore[arg-type]
    with activate(replace(builtin_project(), tables=None)):  # every table of the schema is emptied
        (loc, message), *_ = scenario_seed_problems(seed, SCHEMA)
    assert loc == ("seed", "invoices") and "references orgs" in message
    with activate(replace(builtin_project(), tables=("invoices", "members"))):  # orgs keeps its rows
        assert scenario_seed_problems(seed, SCHEMA) == []


def test_parents_come_first_and_a_not_null_cycle_is_refused() -> None:
    assert [t.name for t in seed_order(SCHEMA, ("invoices", "members", "orgs"))] == ["orgs", "invoices", "members"]
    a = TableSchema(
        schema_name="public",
        name="a",
        columns=(_col("id"), _col("b_id")),
        primary_key=("id",),
        foreign_keys=(_fk("a", "b_id", "b"),),
    )
    b = TableSchema(
        schema_name="public",
        name="b",
        columns=(_col("id"), _col("a_id")),
        primary_key=("id",),
        foreign_keys=(_fk("b", "a_id", "a"),),
    )
    with pytest.raises(ValueError, match="tables a, b reference each other"):
        seed_order(ProjectSchema(tables=(a, b)), ("a", "b"))
    nullable = b.model_copy(update={"columns": (_col("id"), _col("a_id", nullable=True))})
    assert [t.name for t in seed_order(ProjectSchema(tables=(a, nullable)), ("a", "b"))] == ["b", "a"]


def test_users_per_source() -> None:
    assert user_table(SCHEMA) is None
    assert seeded_user_count(SCHEMA, {"members": 12, "invoices": 40}) == 12  # the largest owner table
    spec = ProjectSchema(
        tables=tuple(
            TableSchema(
                schema_name="public",
                name=n,
                columns=(_col("id"), _col("user_id")),
                primary_key=("id",),
                owner_column="user_id",
            )
            for n in ("profiles", "user_challenges")
        )
    )
    assert user_table(spec) is not None and user_table(spec).name == "profiles"  # type: ignore[union-attr]
    assert seeded_user_count(spec, {"profiles": 50, "user_challenges": 45}) == 50
    assert seeded_user_count(spec, {"user_challenges": 45}) == 1 and seeded_user_count(spec, {}) == 0
    accounts = TableSchema(
        schema_name="public",
        name="accounts",
        columns=(_col("id"), _col("owner", unique=True)),
        primary_key=("id",),
        owner_column="owner",
    )
    assert user_table(ProjectSchema(tables=(*spec.tables, accounts))) == accounts  # a unique owner column first


def test_the_stacks_default_seed_follows_the_project(tmp_path: Path) -> None:
    from fallback.stack.seed import SPEC_SEED, default_seed

    assert default_seed(builtin_project()).counts == SPEC_SEED
    (tmp_path / "seed.sql").write_text("SELECT 1;")
    project = builtin_project()
    mine = replace(project, builtin=False, root=tmp_path, seed=tmp_path / "seed.sql", tables=None)
    plan = default_seed(mine)
    assert plan.counts == {} and plan.files == {s: (tmp_path / "seed.sql",) for s in project.source_names}
