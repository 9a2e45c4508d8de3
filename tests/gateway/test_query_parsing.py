"""PostgREST query-string parsing (pure, no servers)."""

from __future__ import annotations

import pytest

from fallback.gateway import errors
from fallback.gateway.casts import is_type_name
from fallback.gateway.limits import MAX_LOGIC_DEPTH
from fallback.gateway.prefer import choose_schema, parse_prefer, parse_range, wants_object
from fallback.gateway.query import (
    EmbedItem,
    Filter,
    Logic,
    OrderTerm,
    SelectItem,
    parse_list,
    parse_query,
    parse_select,
    split_top_level,
)


def test_defaults() -> None:
    parsed = parse_query([])
    assert parsed.select == (SelectItem("*"),)
    assert parsed.where == () and parsed.order == () and parsed.limit is None and parsed.columns is None


def test_select_items() -> None:
    assert parse_select("id, mail:email,amount::text,*") == (
        SelectItem("id"),
        SelectItem("email", "mail"),
        SelectItem("amount", cast="text"),
        SelectItem("*"),
    )
    assert parse_select('"we:ird,col"') == (SelectItem("we:ird,col"),)
    assert parse_select('x:"a\\"b"') == (SelectItem('a"b', "x"),)


@pytest.mark.parametrize("text", ["", "a,,b", "a::text);drop table x;--", 'a::"text"'])
def test_select_rejects(text: str) -> None:
    with pytest.raises(errors.GatewayError) as caught:
        parse_select(text)
    assert caught.value.code == "PGRST100"


@pytest.mark.parametrize(
    "cast",
    [
        "text",
        "int4",
        "_int4",
        "double precision",
        "timestamp with time zone",
        "my$type",
        "TEXT",
        "tëxt",
        "int array",
        "Character  Varying",
        "interval day to second",
        "double precision array",
    ],
)
def test_casts_are_type_names(cast: str) -> None:
    assert is_type_name(cast)
    assert parse_select(f"alias:col::{cast}") == (SelectItem("col", "alias", cast),)


@pytest.mark.parametrize(
    "cast",
    [
        "",
        " ",
        "int[]",
        "text)",
        "text;",
        "text--",
        "text/**/",
        "text'",
        "text\nint",
        "text\tint",
        "1int",
        "$1",
        "$$",
        "text $$x",
        "pg_catalog.text",
        "text::int",
        "text or 1",
        "text from pg_authid",
        "int array array",
    ],
)
def test_casts_other_than_type_names_are_refused(cast: str) -> None:
    """Defect: `select=id::<text>` passed text matching a loose pattern (and anything before a newline) into SQL."""
    assert not is_type_name(cast)
    with pytest.raises(errors.GatewayError) as caught:
        parse_query([("select", "id::" + cast)])
    assert (caught.value.status, caught.value.code) == (400, "PGRST100")
    assert "type name" in str(caught.value.details)


def test_select_parses_embeds() -> None:
    """Embeds used to be refused at parse time (PGRST200); now they parse and the schema cache decides."""
    assert parse_select("*,challenges:user_challenges!fk!inner(id,x:y),...u(n),e()") == (
        SelectItem("*"),
        EmbedItem("user_challenges", (SelectItem("id"), SelectItem("y", "x")), "challenges", "fk", "inner"),
        EmbedItem("u", (SelectItem("n"),), spread=True),
        EmbedItem("e", ()),
    )
    parsed = parse_query([("select", "id,t(id)"), ("t.order", "id.desc"), ("t.limit", "2"), ("t.u.id", "eq.1")])
    assert [(p.path, p.order, p.limit, p.where) for p in parsed.embedded] == [
        (("t",), (OrderTerm("id", True),), 2, ()),
        (("t", "u"), (), None, (Filter("id", "eq", "1"),)),
    ]


@pytest.mark.parametrize("text", ["a(b", "a!x!y(b)", "...a:b(c)", "(x)"])
def test_select_rejects_bad_embeds(text: str) -> None:
    with pytest.raises(errors.GatewayError) as caught:
        parse_select(text)
    assert caught.value.code == "PGRST100"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("age", "gte.18", Filter("age", "gte", "18")),
        ("name", "eq.a.b.c", Filter("name", "eq", "a.b.c")),
        ("name", "not.like.*x*", Filter("name", "like", "*x*", negated=True)),
        ("name", "eq.", Filter("name", "eq", "")),
        ("name", "is.NULL", Filter("name", "is", "null")),
        ("name", "is.not_null", Filter("name", "is", "not_null")),
        ("id", 'in.(1,"2,3",  4 ,"a\\"b")', Filter("id", "in", ("1", "2,3", "4", 'a"b'))),
        ("id", "in.()", Filter("id", "in", ())),
        ('"odd,name"', "eq.1", Filter("odd,name", "eq", "1")),
        ("q", "eq.' OR 1=1; --", Filter("q", "eq", "' OR 1=1; --")),
    ],
)
def test_filters(key: str, value: str, expected: Filter) -> None:
    assert parse_query([(key, value)]).where == (expected,)


@pytest.mark.parametrize("value", ["5", "between.1", "in.1,2", "is.maybe", "not.5"])
def test_bad_filters(value: str) -> None:
    with pytest.raises(errors.GatewayError) as caught:
        parse_query([("col", value)])
    assert (caught.value.status, caught.value.code) == (400, "PGRST100")


def test_logic_trees() -> None:
    parsed = parse_query(
        [
            ("or", '(a.eq.1,b.not.in.(x,"y,z"),and(c.is.null,d.lt.5),not.or(e.eq."q,r",f.gt.0))'),
            ("not.and", "(g.eq.1,h.eq.2)"),
        ]
    )
    assert parsed.where == (
        Logic(
            "or",
            (
                Filter("a", "eq", "1"),
                Filter("b", "in", ("x", "y,z"), negated=True),
                Logic("and", (Filter("c", "is", "null"), Filter("d", "lt", "5"))),
                Logic("or", (Filter("e", "eq", "q,r"), Filter("f", "gt", "0")), negated=True),
            ),
        ),
        Logic("and", (Filter("g", "eq", "1"), Filter("h", "eq", "2")), negated=True),
    )


def nested(depth: int, op: str = "or") -> str:
    """`(or(or(...(a.eq.1)...)))`: `depth` levels of parentheses in all."""
    return "(" + f"{op}(" * (depth - 1) + "a.eq.1" + ")" * depth


def test_logic_trees_nest_up_to_the_bound() -> None:
    parsed = parse_query([("and", nested(MAX_LOGIC_DEPTH, "not.and"))])
    node = parsed.where[0]
    levels = 1
    while isinstance(node, Logic):
        node, levels = node.children[0], levels + 1
    assert node == Filter("a", "eq", "1") and levels == MAX_LOGIC_DEPTH + 1


@pytest.mark.parametrize("depth", [MAX_LOGIC_DEPTH + 1, 500, 100_000])
def test_logic_trees_nested_too_deep_are_400(depth: int) -> None:
    """Defect 9: `or=` nested 500 deep ended in a RecursionError (500); now 400 PGRST100, whatever the depth."""
    with pytest.raises(errors.GatewayError) as caught:
        parse_query([("or", nested(depth))])
    assert (caught.value.status, caught.value.code) == (400, "PGRST100")
    assert caught.value.message.startswith("failed to parse logic tree (")
    assert caught.value.details == (
        f"the tree nests more than {MAX_LOGIC_DEPTH} levels deep, the most this gateway accepts"
    )


@pytest.mark.parametrize(
    "value",
    ["(a.eq.1", "(a.eq.1))", "(a.eq.1),b.eq.2)", "(or(a.eq.1)", "(or(a.eq.1)x)", "(a.eq.1,)", "(or())", "(,a.eq.1)"],
)
def test_malformed_logic_trees_are_400(value: str) -> None:
    with pytest.raises(errors.GatewayError) as caught:
        parse_query([("or", value)])
    assert (caught.value.status, caught.value.code) == (400, "PGRST100")


@pytest.mark.parametrize("value", ["a.eq.1", "()", "(a)", "(a.zz.1)"])
def test_bad_logic(value: str) -> None:
    with pytest.raises(errors.GatewayError):
        parse_query([("or", value)])


def test_order_limit_offset_columns() -> None:
    parsed = parse_query(
        [
            ("order", "a.desc.nullslast,b,c.nullsfirst"),
            ("limit", "10"),
            ("offset", "5"),
            ("columns", 'x,"y,z"'),
            ("on_conflict", "x"),
            ("apikey", "ignored"),
        ]
    )
    assert parsed.order == (OrderTerm("a", True, "last"), OrderTerm("b"), OrderTerm("c", False, "first"))
    assert (parsed.limit, parsed.offset, parsed.columns, parsed.on_conflict) == (10, 5, ("x", "y,z"), ("x",))
    assert parsed.where == ()


@pytest.mark.parametrize(("key", "value"), [("limit", "-1"), ("limit", "ten"), ("offset", "1.5"), ("order", "")])
def test_bad_paging(key: str, value: str) -> None:
    with pytest.raises(errors.GatewayError):
        parse_query([(key, value)])


def test_split_and_list_helpers() -> None:
    assert split_top_level('a,"b,c",d(e,f),g') == ["a", '"b,c"', "d(e,f)", "g"]
    assert parse_list("(a)") == ("a",)
    with pytest.raises(errors.GatewayError):
        parse_list("a,b")


def test_prefer_header() -> None:
    prefs = parse_prefer(["return=representation, count=exact", "resolution=merge-duplicates,missing=default,x=y"])
    assert (prefs.return_, prefs.count, prefs.resolution, prefs.missing) == (
        "representation",
        "exact",
        "merge-duplicates",
        "default",
    )
    assert prefs.applied(return_=True, count=True, insert=True) == (
        "resolution=merge-duplicates, missing=default, return=representation, count=exact"
    )
    assert parse_prefer(["return=bogus"]).return_ is None
    assert parse_prefer([]).applied(return_=True) is None


def test_range_accept_and_profile() -> None:
    assert parse_range("0-24") == (0, 25)
    assert parse_range("items=10-") == (10, None)
    assert parse_range("garbage") is None
    with pytest.raises(errors.GatewayError):
        parse_range("5-1")
    assert wants_object("application/vnd.pgrst.object+json") is True
    assert wants_object("application/json, text/plain, */*") is False
    assert wants_object(None) is False
    with pytest.raises(errors.GatewayError) as caught:
        wants_object("text/csv")
    assert caught.value.status == 406
    assert choose_schema(None, ["public", "api"]) == "public"
    assert choose_schema("api", ["public", "api"]) == "api"
    with pytest.raises(errors.GatewayError) as caught:
        choose_schema("auth", ["public"])
    assert caught.value.code == "PGRST106"
