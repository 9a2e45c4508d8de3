"""Build the parameterized SQL of a write (INSERT, UPDATE, DELETE) and its representation (pure).

The statement yields (page_total, body, total[, inserted, location]) like a read (sql.read), or is bare when
nothing is returned; values are bind parameters, identifiers come from the schema cache (see sql.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .gucs import READ_BACK
from .query import Condition, OrderTerm
from .schema_cache import Column, Table
from .sql import (
    _AGGREGATE,
    SOURCE,
    Represent,
    Returning,
    Statement,
    _Params,
    order_clause,
    quote_literal,
    select_list,
    where_clause,
)

Resolution = Literal["merge", "ignore"]


@dataclass(frozen=True)
class Extras:
    """What a mutation reports besides its rows: rows an upsert inserted (`xmax = 0`), and the primary key
    of the one inserted row for `Location` (PostgREST's `pgrst.inserted` and `locationF`)."""

    upsert: bool = False
    location: tuple[Column, ...] = ()


def _representation(mutation: str, table: Table, select: Represent | None, extras: Extras = Extras()) -> str:
    """Wrap a mutation so that it yields (page_total, body, total[, inserted, location]) like `read`; bare when
    minimal without extras (its command status counts the rows). With extras but no representation it returns
    only a constant per row (no SELECT privilege needed)."""
    if not extras.upsert and not extras.location:
        if select is None:
            return mutation
        returned = f"{table.sql}.*"
        if isinstance(select, Returning):
            rows = f"SELECT {select.columns} FROM {SOURCE}{select.joins}"
        else:
            rows = f"SELECT {select_list(select, table, SOURCE)} FROM {SOURCE}"
            if not any(
                item.all_columns or item.aggregate for item in select
            ):  # only what is selected: SELECT on those columns
                names = dict.fromkeys(table.column(item.column).sql for item in select)
                returned = ", ".join(f"{table.sql}.{name}" for name in names)
        return (
            f"WITH {SOURCE} AS ({mutation} RETURNING {returned}) {_AGGREGATE}, NULL::bigint AS total{READ_BACK} "
            f"FROM ({rows}) pgrst_t"
        )
    returned = f"ROW({table.sql}.*)::{table.sql} AS pgrst_row" if select is not None else "1 AS pgrst_one"
    if extras.upsert:
        returned += f", ({table.sql}.xmax = 0) AS pgrst_ins"
    if extras.location:
        pairs = ", ".join(f"{quote_literal(c.name)}, {table.sql}.{c.sql}" for c in extras.location)
        returned += f", json_build_object({pairs})::text AS pgrst_loc"
    ctes = f"pgrst_mut AS ({mutation} RETURNING {returned})"
    if select is None:
        rows, body = "SELECT 1 FROM pgrst_mut", "NULL::text"
    else:
        ctes += f", {SOURCE} AS (SELECT (pgrst_row).* FROM pgrst_mut)"
        body = "coalesce(json_agg(pgrst_t), '[]')::text"
        if isinstance(select, Returning):
            rows = f"SELECT {select.columns} FROM {SOURCE}{select.joins}"
        else:
            rows = f"SELECT {select_list(select, table, SOURCE)} FROM {SOURCE}"
    inserted = "(SELECT count(*) FILTER (WHERE pgrst_ins) FROM pgrst_mut)" if extras.upsert else "NULL::bigint"
    location = (
        "(SELECT CASE WHEN count(*) = 1 THEN min(pgrst_loc) END FROM pgrst_mut)" if extras.location else "NULL::text"
    )
    return (
        f"WITH {ctes} SELECT count(*) AS page_total, {body} AS body, NULL::bigint AS total, "
        f"{inserted} AS inserted, {location} AS location{READ_BACK} FROM ({rows}) pgrst_t"
    )


def _first(returning: Represent | None) -> tuple[object, ...]:
    return returning.params if isinstance(returning, Returning) else ()


def insert(
    table: Table,
    columns: Sequence[Column],
    payload: str,
    *,
    missing_default: bool = False,
    on_conflict: Sequence[Column] = (),
    resolution: Resolution | None = None,
    returning: Represent | None = None,
    extras: Extras = Extras(),
) -> Statement:
    """`payload` is a JSON array of objects (text); `columns` the column set to insert."""
    params = _Params(_first(returning))
    if not columns:
        # one all-default row per empty object (a zero-column SELECT leaves every column to its default)
        mutation = f"INSERT INTO {table.sql} DEFAULT VALUES"
        if payload != "[{}]":
            mutation = f"INSERT INTO {table.sql} SELECT FROM json_array_elements({params.add(payload, 'json')})"
        return Statement(_representation(mutation, table, returning, extras), tuple(params.values))
    body = params.add(payload, "json")
    names = ", ".join(c.sql for c in columns)
    if missing_default:
        # Every default is evaluated for every row, given or not (PostgREST merges a jsonb of all defaults
        # into each object): a sequence advances per row. `pgrst_defs` is a subquery of its own per row, as
        # its volatile expressions keep the planner from folding them into the CASE.
        defaults = [c for c in columns if c.default]
        values = ", ".join(
            f"CASE WHEN pgrst_body.obj::jsonb ? {quote_literal(c.name)} THEN pgrst_rec.{c.sql} "
            f"ELSE {f'pgrst_defs.d{defaults.index(c)}' if c.default else 'NULL'} END"
            for c in columns
        )
        evaluated = "".join(f"{c.default} AS d{i}, " for i, c in enumerate(defaults))
        source = (
            f"SELECT {values} FROM json_array_elements({body}) WITH ORDINALITY AS pgrst_body(obj, n) "
            f"CROSS JOIN LATERAL json_populate_record(NULL::{table.sql}, pgrst_body.obj) AS pgrst_rec "
            f"CROSS JOIN LATERAL (SELECT {evaluated}pgrst_body.n) AS pgrst_defs "
            "ORDER BY pgrst_body.n"
        )
    else:
        source = (
            f"SELECT {', '.join('pgrst_body.' + c.sql for c in columns)} "
            f"FROM json_populate_recordset(NULL::{table.sql}, {body}) AS pgrst_body"
        )
    mutation = f"INSERT INTO {table.sql} ({names}) {source}"
    if resolution is not None:
        target = ", ".join(c.sql for c in on_conflict)
        if resolution == "ignore":
            mutation += f" ON CONFLICT ({target}) DO NOTHING"
        else:
            assignments = ", ".join(f"{c.sql} = EXCLUDED.{c.sql}" for c in columns)
            mutation += f" ON CONFLICT ({target}) DO UPDATE SET {assignments}"
    return Statement(_representation(mutation, table, returning, extras), tuple(params.values))


@dataclass(frozen=True)
class Span:
    """`order` + `limit`/`offset` on PATCH and DELETE (PostgREST's limited mutations): the rows to change are
    picked by the order columns' values in `pgrst_affected_rows`."""

    order: tuple[OrderTerm, ...]
    limit: int | None
    offset: int | None


def _filtered(table: Table, where: Sequence[Condition], span: Span | None, params: _Params) -> tuple[str, str]:
    """(a FROM item or "", the WHERE clause) choosing the rows a mutation changes."""
    filters = where_clause(where, table, table.sql, params)
    if span is None:
        return "", filters
    columns = [table.column(term.column) for term in span.order]
    picked = f"SELECT {', '.join(f'{table.sql}.{c.sql}' for c in columns)} FROM {table.sql}{filters}"
    picked += order_clause(span.order, table, table.sql)
    if span.limit is not None:
        picked += f" LIMIT {params.add(span.limit, 'bigint')}"
    if span.offset:
        picked += f" OFFSET {params.add(span.offset, 'bigint')}"
    same = " AND ".join(f"{table.sql}.{c.sql} = pgrst_affected_rows.{c.sql}" for c in columns)
    return f"({picked}) AS pgrst_affected_rows", f" WHERE {same}"


def update(
    table: Table,
    columns: Sequence[Column],
    payload: str,
    where: Sequence[Condition],
    *,
    returning: Represent | None = None,
    missing_default: bool = False,
    span: Span | None = None,
) -> Statement:
    """`payload` is one JSON object (text); `missing_default`: a column absent from it gets its default."""
    params = _Params(_first(returning))
    body = params.add(payload, "json")
    if missing_default:
        assignments = ", ".join(
            f"{c.sql} = CASE WHEN {body}::jsonb ? {quote_literal(c.name)} THEN pgrst_body.{c.sql} "
            f"ELSE {c.default or 'NULL'} END"
            for c in columns
        )
    else:
        assignments = ", ".join(f"{c.sql} = pgrst_body.{c.sql}" for c in columns)
    picked, filters = _filtered(table, where, span, params)
    mutation = (
        f"UPDATE {table.sql} SET {assignments} "
        f"FROM (SELECT * FROM json_populate_record(NULL::{table.sql}, {body})) AS pgrst_body"
        f"{', ' + picked if picked else ''}{filters}"
    )
    return Statement(_representation(mutation, table, returning), tuple(params.values))


def delete(
    table: Table, where: Sequence[Condition], *, returning: Represent | None = None, span: Span | None = None
) -> Statement:
    params = _Params(_first(returning))
    picked, filters = _filtered(table, where, span, params)
    mutation = f"DELETE FROM {table.sql}{' USING ' + picked if picked else ''}{filters}"
    return Statement(_representation(mutation, table, returning), tuple(params.values))
