"""What a source is built from and what a warm start still has to run (pure logic: no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fallback.project import Project, SourceSpec
from fallback.stack.errors import MigrationFailed
from fallback.stack.extensions import install_hint, missing_extension
from fallback.stack.migrate import Records, SqlStep, StepKind, pending, plan_for, sha256
from fallback.stack.sqltext import line_of, split_statements


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _project(root: Path) -> Project:
    shared = root / "supabase" / "migrations"
    _write(shared / "20240102000000_b.sql", "create table b (id int primary key);")
    _write(shared / "20240101000000_a.sql", "create table a (id int primary key);")
    _write(root / "legacy" / "20230101000000_old.sql", "alter table a add column legacy text;")
    return Project(
        root=root,
        name="t",
        sources=(
            SourceSpec(name="PRIMARY"),
            SourceSpec(
                name="LEGACY",
                migrations=(root / "legacy",),
                seed=_write(root / "legacy-seed.sql", "insert into a values (2);"),
            ),
        ),
        migrations=tuple(sorted(shared.glob("*.sql"))),
        seed=_write(root / "supabase" / "seed.sql", "insert into a values (1);"),
    )


def test_a_source_is_built_from_the_shared_migrations_then_its_own_then_the_seeds(tmp_path: Path) -> None:
    project = _project(tmp_path)
    primary = plan_for(project, "PRIMARY")
    assert [(s.kind, s.key, s.name) for s in primary] == [
        (StepKind.migration, "20240101000000", "a"),
        (StepKind.migration, "20240102000000", "b"),
        (StepKind.seed, "supabase/seed.sql", ""),
    ]
    legacy = plan_for(project, "LEGACY")
    assert [s.path.name for s in legacy] == [
        "20240101000000_a.sql",
        "20240102000000_b.sql",
        "20230101000000_old.sql",  # its own folder, after the shared ones whatever its version
        "seed.sql",
        "legacy-seed.sql",
    ]
    assert [s.key for s in legacy[3:]] == ["supabase/seed.sql", "legacy-seed.sql"]


def test_two_migrations_of_one_version_are_refused(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _write(tmp_path / "legacy" / "20240101000000_again.sql", "select 1;")
    with pytest.raises(MigrationFailed, match="version 20240101000000 is also"):
        plan_for(project, "LEGACY")
    assert len(plan_for(project, "PRIMARY")) == 3  # only LEGACY reads that folder


def _records(plan: tuple[SqlStep, ...], migrations: int, seeds: int = 0) -> Records:
    done = [s for s in plan if s.kind is StepKind.migration][:migrations]
    seeded = [s for s in plan if s.kind is StepKind.seed][:seeds]
    return Records({s.key: sha256(s.text()) for s in done}, {s.key: sha256(s.text()) for s in seeded})


def test_a_warm_start_runs_only_what_the_records_lack(tmp_path: Path) -> None:
    plan = plan_for(_project(tmp_path), "LEGACY")
    assert pending(plan, Records({}, {})) == plan
    assert pending(plan, _records(plan, 2)) == plan[2:]
    assert pending(plan, _records(plan, 3, 1)) == plan[4:]
    assert pending(plan, _records(plan, 3, 2)) == ()


def test_records_that_do_not_fit_the_plan_ask_for_a_rebuild(tmp_path: Path) -> None:
    project = _project(tmp_path)
    plan = plan_for(project, "LEGACY")
    assert pending(plan, Records({}, {}, ours=False)) is None, "an older harness's cluster, no records"
    assert pending(plan, _records(plan, 3, 2)) is not None
    gap = Records({plan[1].key: sha256(plan[1].text())}, {})
    assert pending(plan, gap) is None, "a migration added before the last one applied"
    assert pending(plan[:1] + plan[2:], _records(plan, 2)) is None, "an applied migration removed"
    seeded_early = Records({plan[0].key: sha256(plan[0].text())}, {plan[3].key: sha256(plan[3].text())})
    assert pending(plan, seeded_early) is None, "a seed ran before migrations that now come first"
    records = _records(plan, 2)
    plan[0].path.write_text("create table a (id bigint primary key);")
    assert pending(plan, records) is None, "an applied migration edited"


def test_statements_split_where_postgresql_would_end_them() -> None:
    text = (
        "-- a comment; not a statement\n"
        "create table t (note text default 'a;b', \"odd;name\" int);\n"
        "/* block /* nested; */ still; */\n"
        "create function f() returns int language plpgsql as $fn$ begin return 1; end $fn$;\n"
        "select E'it\\'s; fine';\n"
        "create function g() returns int language sql begin atomic select 1; select case when true then 2 end; end;\n"
        "select 3"
    )
    statements = split_statements(text)
    assert [line_of(text, s.offset) for s in statements] == [2, 4, 5, 6, 7]
    assert statements[0].text.startswith("create table t") and statements[0].text.endswith(");")
    assert statements[1].text.endswith("$fn$;")
    assert statements[3].text.endswith("end; end;")
    assert statements[4].text == "select 3"


def test_line_of_counts_from_one() -> None:
    assert line_of("a\nb\nc", 0) == 1
    assert line_of("a\nb\nc", 2) == 2
    assert line_of("a\nb\nc", 4) == 3


def test_a_missing_extension_is_read_from_postgresql_15_and_16_messages() -> None:
    pg15 = 'could not open extension control file "/usr/share/postgresql/15/extension/vector.control": No such file'
    assert missing_extension("58P01", pg15) == "vector"
    assert missing_extension("0A000", 'extension "pgrouting" is not available') == "pgrouting"
    assert missing_extension("42601", 'syntax error at or near "extension"') is None


def test_the_hint_says_what_to_install() -> None:
    assert "apt-get install -y postgresql-15-postgis-3" in install_hint("postgis_topology")
    assert "apt-get install -y postgresql-15-pgrouting" in install_hint("pgrouting")
    assert "built by Supabase" in install_hint("vector")
    assert "apt-cache search postgresql-15" in install_hint("made_up_ext")
