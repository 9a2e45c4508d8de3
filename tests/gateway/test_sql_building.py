"""SQL building from a parsed request and the schema cache (pure, no servers)."""

from __future__ import annotations

import pytest

from fallback.gateway import errors, sql, write_sql
from fallback.gateway.gucs import READ_BACK
from fallback.gateway.query import Filter, Logic, OrderTerm, SelectItem, parse_query
from fallback.gateway.schema_cache import Column, SchemaCache, Table, build

HOSTILE = 'we"ird; DROP TABLE x; --'
TABLE = Table(
    "public",
    "t",
    {
        "id": Column("id", "uuid", "gen_random_uuid()"),
        "n": Column("n", "numeric"),
        "name": Column("name", "text", "'it''s'::text"),
        HOSTILE: Column(HOSTILE, "text"),
    },
    ("id",),
)


def test_read_is_one_json_aggregate_with_bound_values() -> None:
    q = parse_query([("select", "id,label:name"), ("n", "gt.5"), ("name", "in.(a,b)"), ("order", "n.desc.nullslast")])
    stmt = sql.read(TABLE, q.select, q.where, q.order, limit=10, offset=20, count=True)
    assert stmt.sql == (
        "SELECT count(*) AS page_total, coalesce(json_agg(pgrst_t), '[]')::text AS body, "
        '(SELECT count(*) FROM "public"."t" WHERE "public"."t"."n" > CAST($1::text AS numeric) '
        'AND "public"."t"."name" = ANY(CAST($2::text[] AS text[]))) AS total'
        f"{READ_BACK} "
        'FROM (SELECT "public"."t"."id" AS "id", "public"."t"."name" AS "label" FROM "public"."t" '
        'WHERE "public"."t"."n" > CAST($1::text AS numeric) AND "public"."t"."name" = ANY(CAST($2::text[] AS text[])) '
        'ORDER BY "public"."t"."n" DESC NULLS LAST LIMIT $3::bigint OFFSET $4::bigint) pgrst_t'
    )
    assert stmt.params == ("5", ["a", "b"], 10, 20)


def test_without_count_limit_or_offset() -> None:
    stmt = sql.read(TABLE, (SelectItem("*"),), (), (), limit=None, offset=0, count=False)
    assert "NULL::bigint AS total" in stmt.sql and "LIMIT" not in stmt.sql and "OFFSET" not in stmt.sql
    assert '"public"."t".*' in stmt.sql and stmt.params == ()


def test_hostile_identifiers_are_quoted_and_values_never_inlined() -> None:
    evil_value = "'; DROP TABLE t; --"
    q = parse_query([("select", f'"{HOSTILE}"'), (f'"{HOSTILE}"', f"eq.{evil_value}")])
    stmt = sql.read(TABLE, q.select, q.where, (), limit=None, offset=None, count=False)
    assert '"we""ird; DROP TABLE x; --"' in stmt.sql
    assert evil_value not in stmt.sql and stmt.params == (evil_value,)


def test_unknown_columns_are_42703_before_any_sql() -> None:
    for q in (
        parse_query([("select", "nope")]),
        parse_query([("nope", "eq.1")]),
        parse_query([("or", "(id.eq.1,nope.eq.2)")]),
    ):
        with pytest.raises(errors.GatewayError) as caught:
            sql.read(TABLE, q.select, q.where, (), limit=None, offset=None, count=False)
        assert (caught.value.status, caught.value.code) == (400, "42703")
    with pytest.raises(errors.GatewayError):
        sql.read(TABLE, (SelectItem("*"),), (), (OrderTerm("nope"),), limit=None, offset=None, count=False)


def test_operators() -> None:
    where = (
        Filter("name", "like", "a*b"),
        Filter("name", "ilike", "*x", negated=True),
        Filter("n", "is", "null"),
        Filter("n", "is", "not_null", negated=True),
        Logic("or", (Filter("n", "neq", "1"), Filter("n", "lte", "2")), negated=True),
    )
    stmt = sql.read(TABLE, (SelectItem("*"),), where, (), limit=None, offset=None, count=False)
    assert (
        'WHERE "public"."t"."name" LIKE $1::text AND NOT ("public"."t"."name" ILIKE $2::text) '
        'AND "public"."t"."n" IS NULL AND NOT ("public"."t"."n" IS NOT NULL) '
        'AND NOT ("public"."t"."n" <> CAST($3::text AS numeric) OR "public"."t"."n" <= CAST($4::text AS numeric))'
    ) in stmt.sql
    assert stmt.params == ("a%b", "%x", "1", "2")


def test_insert_plain_upsert_and_representation() -> None:
    cols = [TABLE.columns["id"], TABLE.columns["name"]]
    plain = write_sql.insert(TABLE, cols, "[]")
    assert plain.sql == (
        'INSERT INTO "public"."t" ("id", "name") SELECT pgrst_body."id", pgrst_body."name" '
        'FROM json_populate_recordset(NULL::"public"."t", $1::json) AS pgrst_body'
    )
    merge = write_sql.insert(
        TABLE, cols, "[]", on_conflict=[TABLE.columns["id"]], resolution="merge", returning=(SelectItem("id"),)
    )
    assert 'ON CONFLICT ("id") DO UPDATE SET "id" = EXCLUDED."id", "name" = EXCLUDED."name" RETURNING' in merge.sql
    assert merge.sql.startswith("WITH pgrst_source AS (INSERT INTO")
    assert 'SELECT "pgrst_source"."id" AS "id" FROM pgrst_source' not in merge.sql
    assert 'SELECT pgrst_source."id" AS "id" FROM pgrst_source' in merge.sql
    ignore = write_sql.insert(TABLE, cols, "[]", on_conflict=[TABLE.columns["id"]], resolution="ignore")
    assert ignore.sql.endswith('ON CONFLICT ("id") DO NOTHING')


def test_insert_missing_default_uses_catalog_defaults() -> None:
    stmt = write_sql.insert(
        TABLE, [TABLE.columns["id"], TABLE.columns["n"], TABLE.columns["name"]], "[]", missing_default=True
    )
    assert "CASE WHEN pgrst_body.obj::jsonb ? 'id' THEN pgrst_rec.\"id\" ELSE pgrst_defs.d0 END" in stmt.sql
    assert "ELSE NULL END" in stmt.sql and "ELSE pgrst_defs.d1 END" in stmt.sql
    # every default is evaluated for every row, given or not, as PostgREST does (a sequence advances per row)
    assert (
        "CROSS JOIN LATERAL (SELECT gen_random_uuid() AS d0, 'it''s'::text AS d1, pgrst_body.n) AS pgrst_defs"
        in stmt.sql
    )
    hostile = write_sql.insert(TABLE, [TABLE.columns[HOSTILE]], "[]", missing_default=True)
    assert "? 'we\"ird; DROP TABLE x; --'" in hostile.sql


def test_insert_without_columns_is_default_values() -> None:
    assert write_sql.insert(TABLE, [], "[{}]").sql == 'INSERT INTO "public"."t" DEFAULT VALUES'


def test_update_and_delete_number_parameters_after_the_body() -> None:
    where = (Filter("id", "eq", "x"),)
    upd = write_sql.update(TABLE, [TABLE.columns["name"]], '{"name":"a"}', where)
    assert upd.sql == (
        'UPDATE "public"."t" SET "name" = pgrst_body."name" FROM (SELECT * FROM '
        'json_populate_record(NULL::"public"."t", $1::json)) AS pgrst_body '
        'WHERE "public"."t"."id" = CAST($2::text AS uuid)'
    )
    assert upd.params == ('{"name":"a"}', "x")
    dele = write_sql.delete(TABLE, where, returning=(SelectItem("*"),))
    assert dele.sql.startswith('WITH pgrst_source AS (DELETE FROM "public"."t" WHERE "public"."t"."id" = ')
    assert 'RETURNING "public"."t".*' in dele.sql and dele.params == ("x",)


def test_schema_cache_build_and_lookup() -> None:
    cache = build(
        [("public", "profiles", "id", "uuid", None, False), ("public", "profiles", "email", "text", None, False)],
        [("public", "profiles", "id")],
    )
    table = cache.table("public", "profiles")
    assert list(table.columns) == ["id", "email"] and table.primary_key == ("id",)
    with pytest.raises(errors.GatewayError) as caught:
        cache.table("public", "profile")
    assert caught.value.hint == "Perhaps you meant the table 'public.profiles'"
    assert caught.value.message == "Could not find the table 'public.profile' in the schema cache"
    with pytest.raises(errors.GatewayError) as caught:
        SchemaCache().table("public", "x")
    assert caught.value.hint is None
    with pytest.raises(errors.GatewayError) as caught:
        table.payload_column("nope")
    assert caught.value.code == "PGRST204"


@pytest.mark.parametrize(
    ("sqlstate", "authed", "status"),
    [
        ("23505", True, 409),
        ("23503", True, 409),
        ("42501", False, 401),
        ("42501", True, 403),
        ("42P01", True, 404),
        ("57014", True, 500),
        ("08006", True, 503),
        ("53300", True, 503),
        ("53400", True, 500),
        ("57P01", True, 503),
        ("22P02", True, 400),
        ("23502", True, 400),
        ("42703", True, 400),
        ("42883", True, 404),
        ("25006", True, 405),
        ("P0001", True, 400),
        ("PT418", True, 418),
        ("XX000", True, 500),
    ],
)
def test_sqlstate_mapping(sqlstate: str, authed: bool, status: int) -> None:
    error = errors.from_postgres(sqlstate, "m", None, None, authed=authed)
    assert error.status == status
    assert ("WWW-Authenticate" in error.headers) == (status == 401)
    headers = error.response_headers()
    assert headers["Proxy-Status"] == f"PostgREST; error={sqlstate}"
    assert (headers.get("Retry-After") == "0") == (status == 503)
