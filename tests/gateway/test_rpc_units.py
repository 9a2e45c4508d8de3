"""RPC's pure parts, without servers: the schema cache rows, overload resolution and its messages,
the fuzzy hints, GET arguments versus filters, the SQL shape, and the SQLSTATE mapping of raised errors."""

from __future__ import annotations

import pytest

from fallback.gateway import errors, media, rpc, rpc_body, rpc_resolve, rpc_sql
from fallback.gateway.errors import GatewayError
from fallback.gateway.fuzzy import closest, levenshtein
from fallback.gateway.query import Filter, SelectItem
from fallback.gateway.routines import Param, ResultColumn, Returns, Routine, routine_from_row


def row(
    name: str,
    names: list[str],
    types: list[str],
    modes: list[str] | None = None,
    *,
    defaults: int = 0,
    retset: bool = False,
    void: bool = False,
    typtype: str = "b",
    volatility: str = "v",
    attrs: tuple[list[str], list[str]] = ([], []),
) -> tuple[object, ...]:
    """A row as routines.FUNCTIONS_SQL returns it."""
    return (
        "test",
        name,
        volatility,
        retset,
        defaults,
        names,
        types,
        modes or [],
        void,
        typtype,
        "pg_catalog",
        "t",
        attrs[0],
        attrs[1],
        False,
    )


def routine(name: str, *params: Param, returns: Returns = Returns.SCALAR) -> Routine:
    return Routine("test", name, params, returns, "immutable")


def p(name: str, type_: str = "integer", required: bool = True, variadic: bool = False) -> Param:
    return Param(name, type_, type_, required, variadic)


# --- the schema cache -------------------------------------------------------------------------------
def test_rows_become_routines_like_postgrest_reads_them() -> None:
    out = routine_from_row(row("single_out_param", ["num", "num_plus_one"], ["integer", "integer"], ["i", "o"]))
    assert out is not None and out.returns is Returns.COMPOSITE
    assert [c.name for c in out.columns] == ["num_plus_one"] and [q.name for q in out.params] == ["num"]
    inout = routine_from_row(row("m", ["num", "b"], ["integer", "boolean"], ["b", "b"], defaults=1))
    assert inout is not None and [(q.name, q.required) for q in inout.params] == [("num", True), ("b", False)]
    variadic = routine_from_row(row("v", ["v"], ["text[]"], ["v"], defaults=1, volatility="i"))
    assert variadic is not None and variadic.variadic and variadic.volatility == "immutable"
    char = routine_from_row(row("c", ["c"], ["character"]))
    assert char is not None and char.params[0].input_type == "character varying"
    table = routine_from_row(row("t", [], [], retset=True, typtype="c", attrs=(["id", "name"], ["integer", "text"])))
    assert table is not None and table.returns is Returns.SETOF_COMPOSITE and not table.single
    assert table.return_type == ("pg_catalog", "t") and [c.name for c in table.columns] == ["id", "name"]
    assert routine_from_row(row("void", [], [], void=True, typtype="p")).returns is Returns.VOID  # type: ignore[union-attr]
    assert routine_from_row(row("s", [], [], retset=True)).returns is Returns.SETOF_SCALAR  # type: ignore[union-attr]


def test_uncallable_unnamed_parameters_are_left_out() -> None:
    assert routine_from_row(row("unnamed_int_param", [], ["integer"])) is None
    assert routine_from_row(row("two", ["", ""], ["json", "json"])) is None
    assert routine_from_row(row("mixed", ["a", ""], ["integer", "json"])) is None
    kept = routine_from_row(row("unnamed_json_param", [], ["json"]))
    assert kept is not None and kept.params == (Param("", "json", "json", True),)


# --- overload resolution (PostgREST's findProc) ------------------------------------------------------
OVERLOADED = {
    ("test", "overloaded"): (
        routine("overloaded", returns=Returns.SETOF_SCALAR),
        routine("overloaded", p("", "json")),
        routine("overloaded", p("a"), p("b")),
        routine("overloaded", p("a", "text"), p("b", "text"), p("c", "text")),
    ),
    ("test", "defaults"): (routine("defaults", p("a", required=False), p("b", required=False)),),
    ("test", "same"): (routine("same", p("arg")), routine("same", p("arg", "text"), p("num", required=False))),
}


def find(name: str, *keys: str, single: bool = False, content: rpc_resolve.Content = "json", post: bool = False):  # type: ignore[no-untyped-def]
    return rpc_resolve.find(OVERLOADED, "test", name, frozenset(keys), single_object=single, content=content, post=post)


def test_overloads_are_told_apart_by_argument_names() -> None:
    assert find("overloaded").params == ()
    assert [q.name for q in find("overloaded", "a", "b").params] == ["a", "b"]
    assert len(find("overloaded", "a", "b", "c").params) == 3
    assert find("overloaded", "x", "y", post=True).params[0].type == "json"  # the single unnamed json fallback
    assert find("overloaded", "x", single=True).params[0].type == "json"
    assert find("defaults").name == "defaults" and find("defaults", "b").name == "defaults"


def test_ambiguous_overloads_are_300_pgrst203() -> None:
    with pytest.raises(GatewayError) as raised:
        find("same", "arg")
    error = raised.value
    assert (error.status, error.code) == (300, "PGRST203")
    assert error.message == (
        "Could not choose the best candidate function between: test.same(arg => integer), "
        "test.same(arg => text, num => integer)"
    )


@pytest.mark.parametrize(
    ("name", "keys", "options", "message", "details", "hint"),
    [
        ("sayhell", (), {}, "test.sayhell without parameters", "test.sayhell without parameters", "test.same"),
        (
            "overloaded",
            ("a", "b", "wrong"),
            {},
            "test.overloaded(a, b, wrong)",
            "test.overloaded with parameters a, b, wrong",
            "test.overloaded(a, b, c)",
        ),
        (
            "defaults",
            ("zzz",),
            {"post": True},
            "test.defaults(zzz)",
            "test.defaults with parameter zzz or with a single unnamed json/jsonb parameter",
            None,
        ),
        ("defaults", (), {"single": True}, "test.defaults", "test.defaults with a single json/jsonb parameter", None),
        (
            "same",
            (),
            {"post": True, "content": "text"},
            "test.same",
            "test.same with a single unnamed text parameter",
            None,
        ),
    ],
)
def test_no_function_is_404_pgrst202_in_postgrest_words(
    name: str, keys: tuple[str, ...], options: dict[str, object], message: str, details: str, hint: str | None
) -> None:
    with pytest.raises(GatewayError) as raised:
        find(name, *keys, **options)
    error = raised.value
    assert (error.status, error.code) == (404, "PGRST202")
    assert error.message == f"Could not find the function {message} in the schema cache"
    assert error.details == f"Searched for the function {details}, but no matches were found in the schema cache."
    assert error.hint == (None if hint is None else f"Perhaps you meant to call the function {hint}")


def test_fuzzy_hints_pick_what_postgrest_picks() -> None:
    assert closest("sayhell", ["sayhello", "getitemrange", "add_them"]) == "sayhello"
    assert closest("(a, b, smthelse)", ["(a, b)"]) == "(a, b)"  # difflib's ratio finds nothing here
    assert closest("(a, b, wrong_arg)", ["()", "(a, b)", "(a, b, c)"]) == "(a, b, c)"
    assert closest("(wrong_arg)", ["()", "(a, b)", "(a, b, c)"]) is None
    assert levenshtein("kitten", "sitting") == 3


def test_content_kinds() -> None:
    assert rpc_resolve.content_kind(None) == "json"
    assert rpc_resolve.content_kind("application/json; charset=utf-8") == "json"
    assert rpc_resolve.content_kind("application/x-www-form-urlencoded") == "form"
    assert rpc_resolve.content_kind("text/csv") == "csv"
    assert rpc_resolve.content_kind("application/yaml") == "other"


# --- request bodies (PostgREST's getPayload) ----------------------------------------------------------
def test_bodies_name_the_arguments_as_postgrest_reads_them() -> None:
    assert rpc_body.read(b"", "json", "", None) == rpc_body.Body("{}", frozenset())
    assert rpc_body.read(b'{"a": 1}', "json", "", None).keys == {"a"}
    assert rpc_body.read(b'[{"a": 1}, {"a": 2}]', "json", "", None).keys == {"a"}
    assert rpc_body.read(b"5", "json", "", None) == rpc_body.Body("[]", frozenset())
    assert rpc_body.read(b'{"a": 1, "b": 2}', "json", "", ("a",)).keys == {"a"}  # ?columns= names them
    form = rpc_body.read(b"v=1&v=2&x=", "form", "", None)
    assert form.keys == {"v", "x"} and form.pairs == (("v", "1"), ("v", "2"), ("x", ""))
    table = rpc_body.read(b"a,b\n1,NULL\n", "csv", "text/csv", None)
    assert table.keys == {"a", "b"} and table.payload == '[{"a":"1","b":null}]'
    assert rpc_body.read(b"\x89PNG", "bytea", "", None).payload == b"\x89PNG"


@pytest.mark.parametrize(
    ("raw", "content", "message"),
    [
        (b'[{"a": 1}, {"b": 2}]', "json", "All object keys must match"),
        (b"[1, 2]", "json", "All object keys must match"),
        (b"{", "json", "Empty or invalid json"),
        (b"a,b\n1\n", "csv", "All lines must have same number of fields"),
        (b"x", "other", "Content-Type not acceptable: application/yaml"),
    ],
)
def test_bad_bodies_are_400_pgrst102(raw: bytes, content: rpc_resolve.Content, message: str) -> None:
    with pytest.raises(GatewayError) as raised:
        rpc_body.read(raw, content, "application/yaml", None)
    assert (raised.value.status, raised.value.code, raised.value.message) == (400, "PGRST102", message)


# --- GET: arguments and filters ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "argument"),
    [
        ("id", "5", True),
        ("id", "gt.2", False),
        ("id", "not.in.(1,3)", False),
        ("t", "fts(english).x", False),
        ("date", "20190101", True),
        ("double", "3.1", True),
        ("name", "Michael Scott", True),
        ("select", "id", False),
        ("order", "id", False),
        ("tasks.order", "id", False),
        ("arr", "{a,b}", True),
    ],
)
def test_get_values_are_arguments_unless_they_read_as_filters(key: str, value: str, argument: bool) -> None:
    assert rpc._is_argument(key, value) is argument


def test_query_arguments_last_wins_variadic_collects() -> None:
    pairs = [("name", "ignored"), ("name", "world"), ("v", "a"), ("v", "b")]
    assert rpc._query_arguments(pairs, frozenset({"v"})) == '{"name":"world","v":["a","b"]}'
    assert rpc._query_arguments(pairs, frozenset()) == '{"name":"world","v":"b"}'


# --- the SQL -------------------------------------------------------------------------------------------
def test_call_sql_passes_only_named_arguments_and_runs_the_function_once() -> None:
    fn = Routine("test", "f", (p("a"), p("v", "text[]", required=False, variadic=True)), Returns.SCALAR, "stable")
    statement = rpc_sql.call(
        fn,
        rpc_sql.Arguments('{"v":["x"]}', named=(fn.params[1],)),
        (SelectItem("*"),),
        (),
        (),
        limit=None,
        offset=0,
        count=True,
        accepted=media.Media(),
    )
    assert statement.params == ('{"v":["x"]}',)
    assert 'VARIADIC "v" := pgrst_body."v"' in statement.sql and '"a" :=' not in statement.sql
    assert 'json_to_record(pgrst_payload.json_data) AS _("v" text[])' in statement.sql
    assert statement.sql.count('"test"."f"(') == 1  # in the CTE that the count reads again


def test_call_sql_filters_orders_and_pages_the_result_relation() -> None:
    fn = Routine("test", "rows", (), Returns.SETOF_COMPOSITE, "volatile", (ResultColumn("id", "integer"),))
    statement = rpc_sql.call(
        fn,
        rpc_sql.Arguments(None),
        (SelectItem("id"),),
        (Filter("id", "gt", "1"),),
        (),
        limit=2,
        offset=1,
        count=False,
        accepted=media.Media(),
    )
    assert statement.params == ("1", 2, 1)
    assert 'FROM "test"."rows"() pgrst_call' in statement.sql
    assert 'FROM pgrst_source WHERE pgrst_source."id" > CAST($1::text AS integer)' in statement.sql
    with pytest.raises(GatewayError) as unknown:
        rpc_sql.call(
            fn,
            rpc_sql.Arguments(None),
            (SelectItem("nope"),),
            (),
            (),
            limit=None,
            offset=0,
            count=False,
            accepted=media.Media(),
        )
    assert unknown.value.code == "42703"


# --- errors a function raises ------------------------------------------------------------------------
def test_pt_sqlstates_map_to_their_status_and_500_otherwise() -> None:
    assert errors.status_for_sqlstate("PT402", "x", authed=False) == 402
    assert errors.status_for_sqlstate("PT40A", "x", authed=False) == 500  # was 400 before RPC (regression)
    assert errors.status_for_sqlstate("P0001", "x", authed=False) == 400
    assert errors.status_for_sqlstate("P0004", "x", authed=False) == 500  # ASSERT
    assert errors.status_for_sqlstate("42883", "function xmlagg(integer) does not exist", authed=False) == 406


def test_raise_sqlstate_pgrst_controls_the_response() -> None:
    error = errors.from_postgres(
        "PGRST",
        '{"code":"123","message":"ABC","hint":"XYZ"}',
        '{"status":332,"headers":{"X-Header":"str"}}',
        None,
        authed=False,
    )
    assert (error.status, error.code, error.message, error.details, error.hint) == (332, "123", "ABC", None, "XYZ")
    assert error.response_headers()["X-Header"] == "str"
    for message, detail, details in [
        ("INVALID", "{}", "Invalid JSON value for MESSAGE: 'INVALID'"),
        ('{"code":1,"message":"m"}', "{}", 'Invalid JSON value for MESSAGE: \'{"code":1,"message":"m"}\''),
        ('{"code":"1","message":"m"}', None, "DETAIL is missing in the RAISE statement"),
        (
            '{"code":"1","message":"m"}',
            '{"status":"404","headers":{}}',
            'Invalid JSON value for DETAIL: \'{"status":"404","headers":{}}\'',
        ),
    ]:
        bad = errors.from_postgres("PGRST", message, detail, None, authed=False)
        assert (bad.status, bad.code, bad.details) == (500, "PGRST121", details)
