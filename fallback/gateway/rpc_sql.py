"""The SQL of one function call, as PostgREST 12.2 builds it (`callPlanToQuery` + `prepareCall`) (pure).

    WITH pgrst_source AS (SELECT pgrst_call.* FROM <arguments>, LATERAL schema.fn(a := pgrst_body.a) pgrst_call)
    SELECT page_total, body, total FROM (SELECT <select> FROM pgrst_source WHERE ... ORDER ... LIMIT ...) _postgrest_t

Named arguments are read from the JSON body by `json_to_record` with each parameter's type, so PostgreSQL
converts every value; only the parameters the request names are passed (the others keep their DEFAULT).
The call sits in a CTE that the count, when asked for, reads again: the function runs once per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import media, sql
from .gucs import READ_BACK
from .query import Condition, OrderTerm, SelectItem
from .routines import Param, Routine
from .schema_cache import Column, Table, quote_ident

SOURCE = "pgrst_source"
SCALAR = "pgrst_scalar"


@dataclass(frozen=True)
class Arguments:
    """How the call gets its arguments: named ones from a JSON document, or one value for one parameter."""

    payload: str | bytes | None
    """JSON text for named parameters; the raw body for a single positional parameter; None for none."""
    named: tuple[Param, ...] = ()
    positional: Param | None = None


def result_table(routine: Routine) -> Table:
    """The result as a relation for select/filter/order: a table's row type, OUT columns, or the scalar."""
    if routine.scalar:
        columns = {SCALAR: Column(SCALAR, "unknown")}
    else:
        columns = {c.name: Column(c.name, c.type) for c in routine.columns}
    return Table("", SOURCE, columns)


def _function(routine: Routine) -> str:
    return f"{quote_ident(routine.schema)}.{quote_ident(routine.name)}"


def _call_from(routine: Routine, args: Arguments, params: sql._Params) -> str:
    def call(argument: str) -> str:
        if routine.scalar:
            return f"(SELECT {_function(routine)}({argument}) {SCALAR}) pgrst_call"
        return f"{_function(routine)}({argument}) pgrst_call"

    if args.positional is not None:
        cast = "bytea" if args.positional.type == "bytea" else args.positional.input_type
        return "FROM " + call(params.add(args.payload, cast))
    if not args.named:
        return "FROM " + call("")
    body = str(args.payload or "{}")
    is_object = body.lstrip(" \t\r\n").startswith("{")
    reader = "json_to_record" if is_object else "json_to_recordset"
    typed = ", ".join(f"{quote_ident(p.name)} {p.input_type}" for p in args.named)
    names = ", ".join(quote_ident(p.name) for p in args.named)
    passed = ", ".join(
        f"{'VARIADIC ' if p.variadic else ''}{quote_ident(p.name)} := pgrst_body.{quote_ident(p.name)}"
        for p in args.named
    )
    return (
        f"FROM (SELECT {params.add(body, 'json')} AS json_data) pgrst_payload, "
        f"LATERAL (SELECT {names} FROM {reader}(pgrst_payload.json_data) AS _({typed}) LIMIT 1) pgrst_body, "
        f"LATERAL {call(passed)}"
    )


def _body(routine: Routine, accepted: media.Media) -> str:
    """The result's rows aggregated for the negotiated media type (PostgREST's handlerF), as text; a raw
    media type's value as it is (text, or bytea for a domain over bytea)."""
    if accepted.kind == "raw":  # as its base type: bytes for bytea, else text
        base = "bytea" if routine.return_type == ("pg_catalog", "bytea") else "text"
        return f"(pg_catalog.array_agg(_postgrest_t.pgrst_scalar))[1]::{base}"
    if accepted.kind == "csv":
        return media.csv_of("_postgrest_t")
    if accepted.kind == "geojson":
        return media.geojson_of("_postgrest_t")
    aggregate = "json_agg(_postgrest_t.pgrst_scalar)" if routine.scalar else "json_agg(_postgrest_t)"
    if accepted.strip_nulls and not routine.scalar:
        aggregate = "json_agg(json_strip_nulls(row_to_json(_postgrest_t)))"
    if accepted.singular or routine.single:
        return f"coalesce({aggregate}->0, 'null')::text"
    return f"coalesce({aggregate}, '[]')::text"


def call(
    routine: Routine,
    args: Arguments,
    select: Sequence[SelectItem] | sql.Returning,
    where: Sequence[Condition],
    order: Sequence[OrderTerm],
    *,
    limit: int | None,
    offset: int,
    count: bool,
    accepted: media.Media,
) -> sql.Statement:
    """One row: page_total, body (JSON text), total (NULL unless `count`)."""
    params = sql._Params(select.params if isinstance(select, sql.Returning) else ())  # the embeds' values first
    source = f"SELECT pgrst_call.{SCALAR if routine.scalar else '*'} {_call_from(routine, args, params)}"
    table = result_table(routine)
    filters = sql.where_clause(where, table, SOURCE, params)
    if isinstance(select, sql.Returning):  # embeds on the result (rpc.py)
        inner = f"SELECT {select.columns} FROM {SOURCE}{select.joins}{filters}"
    else:
        inner = f"SELECT {sql.select_list(select, table, SOURCE)} FROM {SOURCE}{filters}"
        inner += sql.group_clause(select, table, SOURCE)
    inner += sql.order_clause(order, table, SOURCE)
    if limit is not None:
        inner += f" LIMIT {params.add(limit, 'bigint')}"
    if offset:
        inner += f" OFFSET {params.add(offset, 'bigint')}"
    page_total = "1" if routine.single else "pg_catalog.count(_postgrest_t)"
    joins = select.joins if isinstance(select, sql.Returning) else ""  # `!inner` embeds bound the count
    total = (
        f"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {SOURCE}{joins}{filters}) pgrst_c)"
        if count
        else "NULL::bigint"
    )
    text = (
        f"WITH {SOURCE} AS ({source}) "
        f"SELECT {page_total}, {_body(routine, accepted)}, {total}{READ_BACK} FROM ({inner}) _postgrest_t"
    )
    return sql.Statement(text, tuple(params.values))
