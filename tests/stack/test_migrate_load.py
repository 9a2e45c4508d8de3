"""Loading migrations into a real PostgreSQL (a scratch cluster): errors with their line, extensions, records."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import asyncpg
import pytest

from fallback.project import Project, SourceSpec
from fallback.stack.errors import ExtensionUnavailable, MigrationFailed
from fallback.stack.migrate import NeedsRebuild, SqlStep, load_source, plan_for
from fallback.stack.scratch import scratch_postgres_sync

_databases = count()


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    parent = Path(tempfile.mkdtemp(prefix="migrate-test-"))
    parent.chmod(0o711)
    try:
        with scratch_postgres_sync(parent=parent) as dsn:
            yield dsn
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _sql(dsn: str, query: str) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return await conn.fetch(query)
        finally:
            await conn.close()

    return asyncio.run(fetch())


@pytest.fixture
def dsn(cluster: str) -> str:
    """A fresh database of the module's cluster (roles are the cluster's: the harness SQL is idempotent)."""
    name = f"t{next(_databases)}"
    _sql(cluster, f"CREATE DATABASE {name}")
    return cluster.rsplit("/", 1)[0] + f"/{name}"


def _project(root: Path, migrations: dict[str, str], seed: str | None = None) -> Project:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True)
    for name, text in migrations.items():
        (folder / name).write_text(text)
    if seed is not None:
        (root / "supabase" / "seed.sql").write_text(seed)
    return Project(
        root=root,
        name="t",
        sources=(SourceSpec(name="PRIMARY"),),
        migrations=tuple(sorted(folder.glob("*.sql"))),
        seed=root / "supabase" / "seed.sql" if seed is not None else None,
    )


def _load(dsn: str, project: Project) -> tuple[SqlStep, ...]:
    plan = plan_for(project, "PRIMARY")
    return asyncio.run(load_source(dsn, plan, source="PRIMARY", authenticator_password="pw-test"))


def test_a_syntax_error_names_the_file_and_line(dsn: str, tmp_path: Path) -> None:
    good = "create table public.a (id int primary key);\n"
    bad = "-- orders\ncreate table public.b (\n  id int primary key,\n  total numeric(12, 2) not nul\n);\n"
    project = _project(tmp_path, {"20240101000000_a.sql": good, "20240102000000_b.sql": bad})
    with pytest.raises(MigrationFailed) as caught:
        _load(dsn, project)
    assert caught.value.line == 4 and caught.value.path.name == "20240102000000_b.sql"
    assert "20240102000000_b.sql:4: syntax error at or near" in str(caught.value)
    assert "of source PRIMARY" in str(caught.value)
    tables = {r["relname"] for r in _sql(dsn, "SELECT relname FROM pg_class WHERE relname IN ('a', 'b')")}
    assert tables == {"a"}, "the first migration stays, the failed one is rolled back"
    versions = [r["version"] for r in _sql(dsn, "SELECT version FROM supabase_migrations.schema_migrations")]
    assert versions == ["20240101000000"]


def test_an_error_without_a_position_is_traced_to_its_statement(dsn: str, tmp_path: Path) -> None:
    text = (
        "create table public.a (id int primary key);\n"
        "\n"
        "create index on public.a (id);\n"
        "alter table public.nope\n"
        "  add column x int;\n"
    )
    project = _project(tmp_path, {"20240101000000_a.sql": text})
    with pytest.raises(MigrationFailed) as caught:
        _load(dsn, project)
    assert caught.value.line == 4
    assert ':4: relation "public.nope" does not exist' in str(caught.value)
    assert _sql(dsn, "SELECT to_regclass('public.a') IS NULL AS gone")[0]["gone"], "the replay was rolled back"


def test_an_error_in_a_function_body_points_into_the_body(dsn: str, tmp_path: Path) -> None:
    text = "create function public.f() returns int\nlanguage plpgsql as $$\nbegin\n  retrun 1;\nend $$;\n"
    with pytest.raises(MigrationFailed) as caught:
        _load(dsn, _project(tmp_path, {"20240101000000_f.sql": text}))
    assert caught.value.line == 4, str(caught.value)


def test_common_extensions_install_and_resolve_through_the_search_path(dsn: str, tmp_path: Path) -> None:
    first = (
        'create extension if not exists "uuid-ossp";\n'  # already there, in `extensions`, as on Supabase
        "create extension if not exists pgcrypto;\n"
        "create extension if not exists citext with schema extensions;\n"
        "create extension if not exists pg_trgm with schema extensions;\n"
        "create extension if not exists postgis with schema extensions;\n"
    )
    second = (
        "create table public.places (\n"
        "  id uuid primary key default uuid_generate_v4(),\n"
        "  email citext not null,\n"
        "  secret text default crypt('x', gen_salt('bf')),\n"
        "  spot geometry(Point, 4326)\n"
        ");\n"
        "create index places_email_trgm on public.places using gin ((email::text) gin_trgm_ops);\n"
        "insert into public.places (email, spot) values ('A@x.example', st_setsrid(st_makepoint(1, 2), 4326));\n"
    )
    project = _project(tmp_path, {"20240101000000_ext.sql": first, "20240102000000_places.sql": second})
    _load(dsn, project)
    extensions = {r["extname"]: r["nspname"] for r in _sql(dsn, _EXTENSIONS)}
    assert {
        name: extensions.get(name) for name in ("uuid-ossp", "pgcrypto", "citext", "pg_trgm", "postgis")
    } == dict.fromkeys(("uuid-ossp", "pgcrypto", "citext", "pg_trgm", "postgis"), "extensions")
    row = _sql(dsn, "SELECT email = 'a@X.example' AS ci, st_x(spot) AS x FROM public.places")[0]
    assert row["ci"] and row["x"] == 1.0


_EXTENSIONS = "SELECT extname, nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"


def test_an_extension_supabase_builds_gets_a_clear_message(dsn: str, tmp_path: Path) -> None:
    text = (
        "create table public.a (id int primary key);\n\ncreate extension if not exists vector with schema extensions;\n"
    )
    with pytest.raises(ExtensionUnavailable) as caught:
        _load(dsn, _project(tmp_path, {"20240101000000_embeddings.sql": text}))
    assert caught.value.extension == "vector" and caught.value.line == 3
    assert "20240101000000_embeddings.sql:3:" in str(caught.value)
    assert "built by Supabase and has no Debian package" in str(caught.value)


def test_an_extension_debian_packages_names_its_package(dsn: str, tmp_path: Path) -> None:
    if subprocess.run(["dpkg", "-s", "postgresql-15-pgrouting"], capture_output=True).returncode == 0:
        pytest.skip("pgrouting is installed here")
    with pytest.raises(ExtensionUnavailable, match=r"apt-get install -y postgresql-15-pgrouting"):
        _load(dsn, _project(tmp_path, {"20240101000000_r.sql": "create extension pgrouting cascade;\n"}))


def test_tables_a_migration_creates_are_the_api_roles_as_on_supabase(dsn: str, tmp_path: Path) -> None:
    text = "create table public.counters (id bigint generated by default as identity primary key, n int);\n"
    _load(dsn, _project(tmp_path, {"20240101000000_c.sql": text}))
    granted = _sql(
        dsn,
        "SELECT has_table_privilege('authenticated', 'public.counters', 'INSERT') AS t, "
        "has_sequence_privilege('anon', 'public.counters_id_seq', 'USAGE') AS s",
    )[0]
    assert granted["t"] and granted["s"]


def test_a_warm_load_runs_nothing_again_and_an_edited_migration_asks_for_a_rebuild(dsn: str, tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {"20240101000000_a.sql": "create table public.a (id int primary key);\n"},
        seed="insert into public.a values (1), (2);\n",
    )
    assert [s.path.name for s in _load(dsn, project)] == ["20240101000000_a.sql", "seed.sql"]
    assert _load(dsn, project) == (), "the seed would fail on its second run: nothing runs again"
    assert _sql(dsn, "SELECT count(*) AS n FROM public.a")[0]["n"] == 2
    project.migrations[0].write_text("create table public.a (id bigint primary key);\n")
    with pytest.raises(NeedsRebuild):
        _load(dsn, project)
