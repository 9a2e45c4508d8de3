"""Build parameterized SQL from a parsed request and the schema cache (pure).

Like PostgREST, the rows are turned into JSON by PostgreSQL itself
(`coalesce(json_agg(pgrst_t), '[]')`), so every type serializes as PostgreSQL prints it.
Values only ever travel as bind parameters (text, cast to the column's type in SQL);
identifiers only ever come from the schema cache, quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .gucs import READ_BACK
from .json_path import parse_field, sql_path
from .query import Condition, Filter, Logic, OrderTerm, SelectItem
from .schema_cache import Table, quote_ident

_COMPARE = {
    **{"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="},
    **{"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-"},
}
_PATTERN = {"like": "LIKE", "ilike": "ILIKE", "match": "~", "imatch": "~*"}
_FTS = {"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery", "wfts": "websearch_to_tsquery"}
_IS = {"null": "IS NULL", "not_null": "IS NOT NULL", "true": "IS TRUE", "false": "IS FALSE", "unknown": "IS UNKNOWN"}
SOURCE = "pgrst_source"
_AGGREGATE = "SELECT count(*) AS page_total, coalesce(json_agg(pgrst_t), '[]')::text AS body"


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[object, ...] = ()


@dataclass(frozen=True)
class Returning:
    """A mutation's representation with embeds (embed_sql.returning): the select list and joins over
    `SOURCE` (the changed rows), and the bind values they use as $1..$n; the mutation's own values follow."""

    columns: str
    joins: str
    params: tuple[object, ...] = ()


Represent = Sequence[SelectItem] | Returning


class _Params:
    def __init__(self, first: Sequence[object] = ()) -> None:
        self.values: list[object] = list(first)

    def add(self, value: object, cast: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{cast}"


def quote_literal(text: str) -> str:
    """For catalog-provided names only (never client text)."""
    return "'" + text.replace("'", "''") + "'"


def field_sql(table: Table, qualifier: str, name: str) -> tuple[str, str]:
    """A column or a JSON path on one (`data->a->>b`): its SQL and its type (what filter values are cast to).

    Like PostgREST, a path on a column that is not json/jsonb (a composite, an array) reads `to_jsonb(col)`."""
    ref = parse_field(name)
    computed = table.computed.get(ref.column) if ref.column not in table.columns else None
    if computed is not None:
        expr, kind = computed.call(qualifier), computed.type
    else:
        column = table.column(ref.column)
        expr, kind = f"{qualifier}.{column.sql}", column.type
    if not ref.path:
        return expr, kind
    json_type = kind if kind in ("json", "jsonb") else "jsonb"
    if json_type != kind:
        expr = f"to_jsonb({expr})"
    return expr + sql_path(ref), "text" if ref.is_text else json_type


def _legacy_count(item: SelectItem, table: Table) -> SelectItem:
    """`select=count` on a relation without a `count` column: PostgREST 12's old spelling of `count()`."""
    known = "count" in table.columns or "count" in table.computed
    if item.column == "count" and item.aggregate is None and not known:
        return SelectItem("*", item.alias, None, "count", item.cast)
    return item


def column_sql(item: SelectItem, table: Table, qualifier: str) -> tuple[str, str | None]:
    """One selected field as `expr AS key`, and the expression to GROUP BY (None for an aggregate)."""
    item = _legacy_count(item, table)
    if item.all_columns:
        return f"{qualifier}.*", None
    expr = "*" if item.column == "*" else field_sql(table, qualifier, item.column)[0]
    if item.cast:
        expr = f"CAST({expr} AS {item.cast})"
    group: str | None = expr
    if item.aggregate is not None:
        group, expr = None, f"{item.aggregate}({expr})"
        if item.aggregate_cast:
            expr = f"CAST({expr} AS {item.aggregate_cast})"
    return f"{expr} AS {quote_ident(item.key)}", group


def aggregated(items: Sequence[SelectItem], table: Table) -> bool:
    return any(_legacy_count(item, table).aggregate is not None for item in items)


def select_list(items: Sequence[SelectItem], table: Table, qualifier: str) -> str:
    return ", ".join(column_sql(item, table, qualifier)[0] for item in items)


def group_clause(items: Sequence[SelectItem], table: Table, qualifier: str) -> str:
    """PostgREST's GROUP BY rule: with an aggregate in the select, every other selected field groups."""
    if not aggregated(items, table):
        return ""
    groups = [group for item in items if (group := column_sql(item, table, qualifier)[1]) is not None]
    return " GROUP BY " + ", ".join(groups) if groups else ""


def condition(cond: Condition, table: Table, qualifier: str, params: _Params) -> str:
    if isinstance(cond, Logic):
        joiner = " AND " if cond.op == "and" else " OR "
        expr = "(" + joiner.join(condition(c, table, qualifier, params) for c in cond.children) + ")"
        return f"NOT {expr}" if cond.negated else expr
    return _filter(cond, table, qualifier, params)


def _filter(filt: Filter, table: Table, qualifier: str, params: _Params) -> str:
    """PostgREST's `pgFmtFilter`; values are bind parameters cast from text to the field's type."""
    ref, kind = field_sql(table, qualifier, filt.column)
    value = str(filt.value)
    if filt.op == "in":
        expr = f"{ref} = ANY(CAST({params.add(list(filt.value), 'text[]')} AS {kind}[]))"
    elif filt.op == "is":
        expr = f"{ref} {_IS[value]}"
    elif filt.op in _FTS:
        language = f"{params.add(filt.language, 'text')}::regconfig, " if filt.language else ""
        expr = f"{ref} @@ {_FTS[filt.op]}({language}{params.add(value, 'text')})"
    elif filt.op == "isdistinct":
        expr = f"{ref} IS DISTINCT FROM CAST({params.add(value, 'text')} AS {kind})"
    elif filt.op in _PATTERN:
        pattern = value.replace("*", "%") if filt.op in ("like", "ilike") else value
        if filt.quantifier:
            expr = f"{ref} {_PATTERN[filt.op]} {filt.quantifier.upper()}({params.add(pattern, 'text')}::text[])"
        else:
            expr = f"{ref} {_PATTERN[filt.op]} {params.add(pattern, 'text')}"
    elif filt.quantifier:
        array = f"CAST({params.add(value, 'text')} AS {kind}[])"
        expr = f"{ref} {_COMPARE[filt.op]} {filt.quantifier.upper()}({array})"
    else:
        expr = f"{ref} {_COMPARE[filt.op]} CAST({params.add(value, 'text')} AS {kind})"
    return f"NOT ({expr})" if filt.negated else expr


def where_clause(conds: Sequence[Condition], table: Table, qualifier: str, params: _Params) -> str:
    if not conds:
        return ""
    return " WHERE " + " AND ".join(condition(c, table, qualifier, params) for c in conds)


def order_clause(terms: Sequence[OrderTerm], table: Table, qualifier: str) -> str:
    if not terms:
        return ""
    parts = []
    for term in terms:
        part = f"{field_sql(table, qualifier, term.column)[0]} {'DESC' if term.descending else 'ASC'}"
        if term.nulls:
            part += f" NULLS {term.nulls.upper()}"
        parts.append(part)
    return " ORDER BY " + ", ".join(parts)


def read(
    table: Table,
    select: Sequence[SelectItem],
    where: Sequence[Condition],
    order: Sequence[OrderTerm],
    *,
    limit: int | None,
    offset: int | None,
    count: bool,
) -> Statement:
    """One row: page_total, body (a JSON array as text), total (NULL unless `count`)."""
    params = _Params()
    qual = table.sql
    filters = where_clause(where, table, qual, params)
    grouped = group_clause(select, table, qual)
    inner = f"SELECT {select_list(select, table, qual)} FROM {qual}{filters}{grouped}{order_clause(order, table, qual)}"
    if limit is not None:
        inner += f" LIMIT {params.add(limit, 'bigint')}"
    if offset:
        inner += f" OFFSET {params.add(offset, 'bigint')}"
    total = f"(SELECT count(*) FROM {qual}{filters})" if count else "NULL::bigint"
    return Statement(f"{_AGGREGATE}, {total} AS total{READ_BACK} FROM ({inner}) pgrst_t", tuple(params.values))


def count_query(table: Table, where: Sequence[Condition]) -> Statement:
    """The rows a read counts, for the planner's estimate of `count=planned` (PostgREST's countQuery)."""
    params = _Params()
    return Statement(f"SELECT 1 FROM {table.sql}{where_clause(where, table, table.sql, params)}", tuple(params.values))
