"""Aggregates in `select=` (PostgREST 12's `db-aggregates-enabled`): parsing and the SQL; computed relationships
and views over views in the schema cache (pure, no servers)."""

from __future__ import annotations

import pytest

from fallback.gateway import embed_plan, embed_sql, errors, sql
from fallback.gateway.config import GatewayConfig
from fallback.gateway.embed_computed import with_computed
from fallback.gateway.embed_schema import foreign_keys, relationships
from fallback.gateway.embed_select import has_aggregates
from fallback.gateway.embed_views import through_views
from fallback.gateway.query import EmbedItem, SelectItem, parse_query, parse_select
from fallback.gateway.schema_cache import Column, SchemaCache, Table

TABLE = Table("public", "t", {"n": Column("n", "numeric"), "g": Column("g", "int4")}, ("g",))


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("count()", SelectItem("*", None, None, "count")),
        ("cnt:count()::text", SelectItem("*", "cnt", None, "count", "text")),
        ("n.sum()", SelectItem("n", None, None, "sum")),
        ("total:n::int.avg()::text", SelectItem("n", "total", "int", "avg", "text")),
        ("s:data->>k::integer.max()", SelectItem("data->>k", "s", "integer", "max")),
        ("n.min()", SelectItem("n", None, None, "min")),
        ("n.count()", SelectItem("n", None, None, "count")),
    ],
)
def test_aggregates_parse(text: str, item: SelectItem) -> None:
    assert parse_select(text) == (item,)
    assert item.key == (item.alias or item.aggregate)
    assert not item.all_columns


def test_aggregate_inside_an_embed_is_no_embed_and_is_found() -> None:
    (embed,) = parse_select("orders(amount.sum())")
    assert isinstance(embed, EmbedItem) and embed.select == (SelectItem("amount", None, None, "sum"),)
    assert has_aggregates((embed,)) and not has_aggregates(parse_select("id,orders(amount)"))


@pytest.mark.parametrize("text", ["sum()", "n.sum()::1x"])
def test_bad_aggregates_are_pgrst100(text: str) -> None:
    with pytest.raises(errors.GatewayError) as raised:
        parse_select(text)
    assert raised.value.code == "PGRST100"


def test_group_by_every_other_field_and_legacy_count() -> None:
    q = parse_query([("select", "g,total:n.sum()::text"), ("order", "g.desc")])
    stmt = sql.read(TABLE, q.select, q.where, q.order, limit=None, offset=None, count=False)
    assert (
        'SELECT "public"."t"."g" AS "g", CAST(sum("public"."t"."n") AS text) AS "total" FROM "public"."t" '
        'GROUP BY "public"."t"."g" ORDER BY "public"."t"."g" DESC' in stmt.sql
    )
    legacy = parse_query([("select", "count")]).select
    assert sql.select_list(legacy, TABLE, "x") == 'count(*) AS "count"'
    assert sql.group_clause(legacy, TABLE, "x") == ""
    assert sql.group_clause(parse_select("g,n"), TABLE, "x") == ""


def test_aggregates_are_on_by_default_like_supabase() -> None:
    config = GatewayConfig(name="A", port=1, db_dsn="postgresql://x", jwt_secret="s", api_keys=[])
    assert config.db_aggregates_enabled
    assert errors.aggregates_disabled().code == "PGRST123"


def test_computed_relationships_override_foreign_keys_of_the_same_name() -> None:
    games, designers = ("test", "videogames"), ("test", "designers")
    keys = foreign_keys([("test", "videogames", "test", "designers", "fk", ["designer_id"], ["id"], False)])
    fk_rels = relationships(keys, {}, [games, designers])
    rows = [
        ("test", "designers", "test", "videogames", "test", "designers", True),  # overrides the FK embed
        ("test", "computed_videogames", "test", "designers", "test", "videogames", False),
        ("private", "hidden", "test", "designers", "private", "secrets", False),  # not exposed: dropped
    ]
    cache = SchemaCache(relationships=with_computed(fk_rels, rows, [games, designers]))
    rel = embed_plan.find(cache, games, "designers", None)
    assert rel.function == ("test", "designers") and rel.to_one
    many = embed_plan.find(cache, designers, "computed_videogames", "ignored")
    assert many.function == ("test", "computed_videogames") and not many.to_one
    assert embed_plan.find(cache, designers, "videogames", None).function is None  # the FK one stays
    assert all(r.foreign != ("private", "secrets") for r in cache.relationships[designers])


def test_views_over_views_are_followed_to_their_table_and_cycles_end() -> None:
    rows = [
        ("test", "projects_view", "id", "test", "projects", "id", 1),
        ("test", "projects_view_v2", "id", "test", "projects_view", "id", 1),
        ("test", "loop", "id", "test", "loop", "id", 1),  # a view over itself: no table, no relationship
    ]
    assert through_views(rows) == [
        (("test", "projects_view"), "id", ("test", "projects"), "id"),
        (("test", "projects_view_v2"), "id", ("test", "projects"), "id"),
    ]


def test_computed_relationship_over_a_cte_row_is_typed_for_overloads() -> None:
    items = Table("test", "items", {"id": Column("id", "int8")}, ("id",))
    rel_rows = [("test", "overload", "test", "items", "test", "items", False)]
    cache = SchemaCache({("test", "items"): items}, with_computed({}, rel_rows, [("test", "items")]))
    built = embed_sql.returning(cache, items, parse_query([("select", "id,overload(id)")]))
    assert '"test"."overload"(CAST(ROW(pgrst_source.*) AS "test"."items"))' in built.joins
