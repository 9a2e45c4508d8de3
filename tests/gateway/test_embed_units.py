"""Embedding's pure parts: relationships from foreign keys, relationship lookup, the SQL shape (no servers)."""

from __future__ import annotations

import pytest

from fallback.gateway import embed_plan, embed_sql
from fallback.gateway.embed_schema import ForeignKey, relationships
from fallback.gateway.errors import GatewayError
from fallback.gateway.query import parse_query
from fallback.gateway.schema_cache import Column, SchemaCache, Table

S = "test"


def _table(name: str, *cols: str, pk: tuple[str, ...] = ("id",)) -> Table:
    return Table(S, name, {c: Column(c, "integer") for c in cols}, pk)


TABLES = {
    (S, t.name): t
    for t in (
        _table("users", "id", "name"),
        _table("tasks", "id", "name", "project_id"),
        _table("projects", "id", "name", "client_id"),
        _table("clients", "id", "name"),
        _table("users_tasks", "user_id", "task_id", pk=("task_id", "user_id")),
        _table("loose", "user_id", "task_id", pk=()),
    )
}
FKS = [
    ForeignKey((S, "projects"), (S, "clients"), "client", ("client_id",), ("id",), False),
    ForeignKey((S, "tasks"), (S, "projects"), "project", ("project_id",), ("id",), False),
    ForeignKey((S, "users_tasks"), (S, "users"), "users_tasks_user_id_fkey", ("user_id",), ("id",), False),
    ForeignKey((S, "users_tasks"), (S, "tasks"), "users_tasks_task_id_fkey", ("task_id",), ("id",), False),
    ForeignKey((S, "loose"), (S, "users"), "loose_user_id_fkey", ("user_id",), ("id",), False),
    ForeignKey((S, "loose"), (S, "tasks"), "loose_task_id_fkey", ("task_id",), ("id",), False),
]
CACHE = SchemaCache(TABLES, relationships(FKS, {k: t.primary_key for k, t in TABLES.items()}, TABLES))


def test_relationships_from_foreign_keys() -> None:
    users = {
        (r.foreign[1], r.cardinality, r.junction.table[1] if r.junction else r.constraint)
        for r in CACHE.relationships[(S, "users")]
    }
    # users_tasks' FKs are in its primary key: a junction; `loose` has no primary key: no many-to-many through it
    assert users == {
        ("users_tasks", "one-to-many", "users_tasks_user_id_fkey"),
        ("loose", "one-to-many", "loose_user_id_fkey"),
        ("tasks", "many-to-many", "users_tasks"),
    }
    assert [r.cardinality for r in CACHE.relationships[(S, "projects")]] == ["many-to-one", "one-to-many"]


def test_find_by_table_constraint_column_and_hint() -> None:
    assert embed_plan.find(CACHE, (S, "projects"), "clients", None).constraint == "client"
    assert embed_plan.find(CACHE, (S, "projects"), "client", None).foreign == (S, "clients")
    assert embed_plan.find(CACHE, (S, "projects"), "client_id", None).foreign == (S, "clients")
    assert embed_plan.find(CACHE, (S, "users"), "tasks", "users_tasks").cardinality == "many-to-many"
    with pytest.raises(GatewayError) as none:
        embed_plan.find(CACHE, (S, "projects"), "clients", "nope")
    assert (none.value.status, none.value.code) == (400, "PGRST200")


def test_sql_shape_is_lateral_json_with_bound_values() -> None:
    query = parse_query(
        [("select", "id,tasks!inner(name,users(id))"), ("tasks.name", "eq.x'); drop"), ("tasks.limit", "2")]
    )
    statement = embed_sql.read(CACHE, TABLES[(S, "projects")], query, limit=None, offset=None, count=True)
    assert "INNER JOIN LATERAL (SELECT json_agg(" in statement.sql and "LEFT JOIN LATERAL" in statement.sql
    assert "drop" not in statement.sql and statement.params == ("x'); drop", 2)
    assert statement.sql.count("INNER JOIN LATERAL") == 2  # the page and the count both honour !inner


def test_unknown_embedded_filter_is_pgrst108() -> None:
    query = parse_query([("select", "id,tasks(id)"), ("tasks.users.id", "eq.1")])
    with pytest.raises(GatewayError) as caught:
        embed_sql.read(CACHE, TABLES[(S, "projects")], query, limit=None, offset=None, count=False)
    assert caught.value.code == "PGRST108"
    assert caught.value.message == "'users' is not an embedded resource in this request"


def test_views_inherit_foreign_keys_of_their_tables() -> None:
    """A view over `projects` (its `client_id` selected twice) gets the FK both ways, once per column."""
    from fallback.gateway.embed_views import view_keys

    rows = [
        (S, "pv", "id", S, "projects", "id", 1),
        (S, "pv", "cid", S, "projects", "client_id", 2),
        (S, "pv", "cid2", S, "projects", "client_id", 3),
        (S, "tv", "pid", S, "tasks", "project_id", 1),
    ]
    derived, view_pks = view_keys(FKS, rows, {k: t.primary_key for k, t in TABLES.items()})
    shapes = {(fk.table[1], fk.columns, fk.foreign[1], fk.foreign_columns) for fk in derived}
    assert shapes == {
        ("pv", ("cid",), "clients", ("id",)),
        ("pv", ("cid2",), "clients", ("id",)),
        ("tasks", ("project_id",), "pv", ("id",)),
        ("tv", ("pid",), "projects", ("id",)),
        ("tv", ("pid",), "pv", ("id",)),
    }
    assert view_pks == {(S, "pv"): ("id",)}
