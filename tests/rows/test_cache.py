"""The schema cache: built in a scratch cluster once, read from `<project>/.fallback/` after, rebuilt on change."""

from __future__ import annotations

from pathlib import Path

import pytest

from fallback.project.model import Project, SourceSpec

pytest.importorskip("fallback.stack.scratch", reason="the stack's scratch cluster (helper S) is not merged yet")

from fallback.project import cache  # after the skip: it needs the scratch cluster
from fallback.stack.errors import MigrationFailed

ORDERS = """
CREATE TYPE public.state AS ENUM ('new', 'paid');
CREATE TABLE public.customers (id uuid PRIMARY KEY, user_id uuid NOT NULL DEFAULT auth.uid());
CREATE TABLE public.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES public.customers (id),
  state public.state NOT NULL DEFAULT 'new'
);
"""


def _project(root: Path, legacy: str | None = None) -> Project:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True, exist_ok=True)
    (migrations / "20240101000000_orders.sql").write_text(ORDERS)
    sources = [SourceSpec("PRIMARY")]
    if legacy is not None:
        (root / "legacy").mkdir(exist_ok=True)
        (root / "legacy" / "20240201000000_old.sql").write_text(legacy)
        sources.append(SourceSpec("LEGACY", migrations=(root / "legacy",)))
    return Project(root=root, name="shop", sources=tuple(sources), migrations=tuple(sorted(migrations.glob("*.sql"))))


def test_built_once_then_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, legacy="CREATE TABLE public.old_orders (id int PRIMARY KEY);")
    schema = cache.cached_schema(project)
    assert set(schema.table_names) == {"customers", "orders", "old_orders"}  # LEGACY's own table merged in
    orders = schema.table("orders")
    assert orders.primary_key == ("id",) and orders.column("id").generated
    assert orders.column("state").enum_values == ("new", "paid")
    path = cache.cache_path(project, cache.schema_digest(project))
    assert path.is_file() and schema.migrations_digest == cache.schema_digest(project)
    assert (tmp_path / ".fallback" / ".gitignore").read_text().splitlines()[-1] == "*"

    async def no_build(*_: object) -> object:
        raise AssertionError("the cache file should have been read")

    monkeypatch.setattr(cache, "build_schema", no_build)
    assert cache.cached_schema(project) == schema


def test_a_changed_migration_builds_anew(tmp_path: Path) -> None:
    project = _project(tmp_path)
    first = cache.cached_schema(project)
    (tmp_path / "supabase" / "migrations" / "20240102000000_more.sql").write_text(
        "ALTER TABLE public.orders ADD COLUMN note text;"
    )
    changed = _project(tmp_path)
    second = cache.cached_schema(changed)
    assert second.migrations_digest != first.migrations_digest
    assert "note" in [c.name for c in second.table("orders").columns]
    assert [p.name for p in (tmp_path / ".fallback").glob("schema-*.json")] == [
        cache.cache_path(changed, second.migrations_digest).name
    ]  # the stale file is gone


def test_a_failing_migration_names_file_and_line(tmp_path: Path) -> None:
    _project(tmp_path)
    broken = tmp_path / "supabase" / "migrations" / "20240103000000_broken.sql"
    broken.write_text(
        "-- fine\nCREATE TABLE public.x (id int PRIMARY KEY);\nCREATE TABLE public.y (id int PRIMARY KEY,);\n"
    )
    with pytest.raises(MigrationFailed, match=r"20240103000000_broken\.sql:3"):
        cache.cached_schema(_project(tmp_path))
    assert not list(tmp_path.glob(".fallback/schema-*.json"))  # nothing cached from a failed build


def test_no_migrations_no_cluster_and_a_missing_directory_is_not_created(tmp_path: Path) -> None:
    ghost = tmp_path / "not-there"
    project = Project(root=ghost, name="ghost", sources=(SourceSpec("PRIMARY"),), migrations=())
    assert cache.cached_schema(project).tables == ()
    assert not ghost.exists()
