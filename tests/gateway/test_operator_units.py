"""Operators, quantifiers, full-text search and JSON paths: parsing and SQL building (pure, no servers)."""

from __future__ import annotations

import dataclasses

import pytest

from fallback.gateway import errors, sql
from fallback.gateway.computed import Computed
from fallback.gateway.json_path import JsonStep, parse_field
from fallback.gateway.query import Filter, parse_logic, parse_operation, parse_order, parse_query
from fallback.gateway.schema_cache import Column, Table

TABLE = Table(
    "test",
    "t",
    {
        "id": Column("id", "integer"),
        "arr": Column("arr", "integer[]"),
        "data": Column("data", "jsonb"),
        "doc": Column("doc", "tsvector"),
    },
)


def _where(text: str) -> tuple[str, list[object]]:
    query = parse_query([tuple(text.split("=", 1))])  # type: ignore[list-item]
    params = sql._Params()
    return sql.where_clause(query.where, TABLE, '"t"', params), params.values


def test_quantifier_and_language_are_parsed() -> None:
    assert parse_operation("id", "eq(any).{1,2}") == Filter("id", "eq", "{1,2}", quantifier="any")
    assert parse_operation("doc", "not.fts(english).cat") == Filter("doc", "fts", "cat", True, language="english")


@pytest.mark.parametrize("text", ["neq(any).{1}", "in(all).(1)", "is(any).null", "eq().1", "nope.1", "0"])
def test_bad_operators_are_pgrst100(text: str) -> None:
    with pytest.raises(errors.GatewayError) as caught:
        parse_operation("id", text)
    assert caught.value.code == "PGRST100"
    assert caught.value.message.startswith(f'"failed to parse filter ({text})" (line 1, column ')


@pytest.mark.parametrize(
    ("param", "fragment"),
    [
        ("arr=cs.{1,2}", '"t"."arr" @> CAST($1::text AS integer[])'),
        ("arr=ov.{1,2}", '"t"."arr" && CAST($1::text AS integer[])'),
        ("id=gt(all).{1,2}", '"t"."id" > ALL(CAST($1::text AS integer[]))'),
        ("id=isdistinct.3", '"t"."id" IS DISTINCT FROM CAST($1::text AS integer)'),
        ("doc=plfts(english).a cat", '"t"."doc" @@ plainto_tsquery($1::text::regconfig, $2::text)'),
        ("doc=wfts.a cat", '"t"."doc" @@ websearch_to_tsquery($1::text)'),
        ("id=match.^1", '"t"."id" ~ $1::text'),
        ("id=like(any).{1*,2*}", '"t"."id" LIKE ANY($1::text::text[])'),
        ("data->a->>b=eq.x", "\"t\".\"data\"->E'a'->>E'b' = CAST($1::text AS text)"),
        ("data->0=eq.1", '"t"."data"->(0) = CAST($1::text AS jsonb)'),
        ("arr->0=eq.1", 'to_jsonb("t"."arr")->(0) = CAST($1::text AS jsonb)'),
    ],
)
def test_operator_sql(param: str, fragment: str) -> None:
    clause, _ = _where(param)
    assert clause == f" WHERE {fragment}"


def test_like_stars_become_percent_in_every_quantified_pattern() -> None:
    _, values = _where("id=ilike(any).{*a,b*}")
    assert values == ["{%a,b%}"]


def test_json_keys_are_escape_string_literals() -> None:
    """A key with a quote or a backslash cannot leave its literal, whatever standard_conforming_strings is."""
    expr, kind = sql.field_sql(TABLE, '"t"', "data->>a'b\\c")
    assert expr == "\"t\".\"data\"->>E'a''b\\\\c'" and kind == "text"


def test_json_path_steps_and_key() -> None:
    ref = parse_field("data->0->0xy1->>-2")
    assert ref.path == (JsonStep("->", 0), JsonStep("->", "0xy1"), JsonStep("->>", -2))
    assert ref.key == "0xy1" and ref.is_text


def test_json_path_errors_have_postgrest_shape() -> None:
    with pytest.raises(errors.GatewayError) as caught:
        parse_query([("select", "data->>--34")])
    assert caught.value.message == '"failed to parse select parameter (data->>--34)" (line 1, column 9)'
    assert caught.value.details == 'unexpected "-" expecting digit'


def test_logic_tree_values_with_braces_and_spaces() -> None:
    tree = parse_logic("and", "( and ( arr.cs.{1,2} , id.eq.3 ) , id.isdistinct.{1,2} )")
    assert tree.children[1] == Filter("id", "isdistinct", "{1,2}")


def test_order_modifier_typo_is_pgrst100_and_columns_named_like_modifiers_still_order() -> None:
    with pytest.raises(errors.GatewayError) as caught:
        parse_order("id.asc.nullslasttt")
    assert caught.value.message == '"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)'
    assert parse_order("ascii.desc")[0].column == "ascii"


def test_a_stray_brace_in_a_logic_value_is_part_of_the_value() -> None:
    tree = parse_logic("or", "(name.eq.a}b,id.eq.1)")
    assert tree.children[0] == Filter("name", "eq", "a}b")


def test_computed_fields_are_called_on_the_row() -> None:
    """A function over the row type is a field (`always_true=eq.true`), cast to its result type."""
    table = dataclasses.replace(TABLE, computed={"always_true": Computed("test", "always_true", "boolean")})
    assert sql.field_sql(table, '"t"', "always_true") == ('"test"."always_true"("t".*)', "boolean")
    with pytest.raises(errors.GatewayError) as caught:
        sql.field_sql(TABLE, '"t"', "always_true")
    assert caught.value.code == "42703"
