"""SQL for a read with embedded resources, in PostgREST's shape (pure).

Each embed is a `LEFT JOIN LATERAL` (or `INNER` for `!inner`) subquery over the related table:

    to-one   LEFT JOIN LATERAL (SELECT cols FROM clients AS clients_1 WHERE clients_1.id = parent.client_id)
             AS projects_client_1 ON TRUE
             → row_to_json(projects_client_1.*) AS "client"
    to-many  LEFT JOIN LATERAL (SELECT json_agg(pgrst_r) AS body FROM (SELECT cols FROM tasks AS tasks_1
             WHERE tasks_1.project_id = parent.id ORDER BY .. LIMIT ..) AS pgrst_r) AS projects_tasks_1 ON TRUE
             → coalesce(projects_tasks_1.body, '[]') AS "tasks"
    spread   (to-one only) projects_client_1.* among the parent's columns

Everything runs in the request's one statement, so RLS applies to embedded tables under the request's
role exactly as to the top table. Identifiers come from the schema cache, values are bind parameters.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import embed_plan, errors
from .embed_schema import Relationship
from .embed_select import EmbedItem, SelectField, SelectItem
from .gucs import READ_BACK
from .query import Condition, EmbedParams, Logic, OrderTerm, ParsedQuery
from .schema_cache import SchemaCache, Table, quote_ident
from .sql import _AGGREGATE, SOURCE, Returning, Statement, _Params, column_sql, condition, field_sql

_RELATED = re.compile(r"(.+)\((.+)\)")
"""`order=clients(name)`: a related order on a to-one embed's column."""


@dataclass
class _Selection:
    columns: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    inner_joins: list[str] = field(default_factory=list)
    """The `!inner` joins of this level: they also bound the count (`Prefer: count=exact`)."""
    nulls: dict[str, str] = field(default_factory=dict)
    """Embed key → the expression that is NULL when the embed found nothing (`key=is.null`, `key=not.is.null`)."""
    to_one: dict[str, str] = field(default_factory=dict)
    """To-one embed key → its lateral alias (`order=key(col)`); to-many keys map to ''."""
    groups: list[str] = field(default_factory=list)
    """What this level groups by when it has an aggregate (PostgREST's rule: every non-aggregated field)."""
    aggregated: bool = False
    uses_embeds: bool = False
    """A filter of this level tests an embed (then the count needs every join, not only `!inner` ones)."""

    def condition(self, cond: Condition, table: Table, qualifier: str, params: _Params) -> str:
        """`sql.condition`, plus PostgREST's null filters on embeds (also inside `or=`/`and=`)."""
        if isinstance(cond, Logic):
            joiner = " AND " if cond.op == "and" else " OR "
            expr = "(" + joiner.join(self.condition(c, table, qualifier, params) for c in cond.children) + ")"
            return f"NOT {expr}" if cond.negated else expr
        if cond.column in self.nulls and cond.op == "is" and cond.value in ("null", "not_null"):
            self.uses_embeds = True
            null = (cond.value == "null") != cond.negated
            return f"{self.nulls[cond.column]} IS {'NULL' if null else 'NOT NULL'}"
        return condition(cond, table, qualifier, params)

    def where(self, conds: Sequence[Condition], table: Table, qualifier: str, params: _Params) -> list[str]:
        return [self.condition(c, table, qualifier, params) for c in conds]

    def order(self, terms: Sequence[OrderTerm], table: Table, qualifier: str, origin: str) -> str:
        parts = []
        for term in terms:
            related = _RELATED.fullmatch(term.column)
            if related is None:
                part = field_sql(table, qualifier, term.column)[0]
            elif related[1] not in self.to_one:
                raise embed_plan.not_embedded(related[1])
            elif not self.to_one[related[1]]:
                raise embed_plan.related_order_not_to_one(origin, related[1])
            else:
                part = f"{self.to_one[related[1]]}.{quote_ident(related[2])}"
            part += " DESC" if term.descending else " ASC"
            if term.nulls:
                part += f" NULLS {term.nulls.upper()}"
            parts.append(part)
        return " ORDER BY " + ", ".join(parts) if parts else ""

    def group_by(self) -> str:
        return " GROUP BY " + ", ".join(self.groups) if self.aggregated and self.groups else ""


@dataclass
class _Builder:
    cache: SchemaCache
    options: dict[tuple[str, ...], EmbedParams]
    params: _Params = field(default_factory=_Params)
    known: set[tuple[str, ...]] = field(default_factory=set)

    def selection(
        self, items: Sequence[SelectField], table: Table, qualifier: str, path: tuple[str, ...]
    ) -> _Selection:
        out = _Selection()
        for item in items:
            if isinstance(item, SelectItem):
                column, group = column_sql(item, table, qualifier)
                out.columns.append(column)
                out.aggregated |= group is None and not item.all_columns
                out.groups += [group] if group is not None else []
            else:
                self._embed(item, table, qualifier, path, out)
        return out

    def _options(self, item: EmbedItem, path: tuple[str, ...]) -> tuple[tuple[str, ...], EmbedParams]:
        own = (*path, item.key)
        self.known.add(own)
        if item.alias is not None and own not in self.options:
            legacy = (*path, item.target)  # PostgREST 12 still accepts the target name of an aliased embed
            if legacy in self.options:
                self.known.add(legacy)
                return own, self.options[legacy]
        return own, self.options.get(own, EmbedParams(own))

    def _embed(self, item: EmbedItem, table: Table, qualifier: str, path: tuple[str, ...], out: _Selection) -> None:
        rel = embed_plan.find(self.cache, (table.schema, table.name), item.target, item.hint)
        target = self.cache.table(*rel.foreign)
        if item.spread and not rel.to_one:
            raise embed_plan.spread_not_to_one(table.name, item.target)
        own, opts = self._options(item, path)
        # PostgREST's aliases (Plan.hs addRels): the embedded table is `<table>_<depth>`, its lateral join
        # `<parent>_<embed name>_<depth>`; PostgreSQL's errors name them ("column messages_1.sum does not
        # exist"), and two embeds of one name clash as in PostgREST (42712).
        depth = len(path) + 1
        alias, joined = quote_ident(f"{target.name}_{depth}"), quote_ident(f"{table.name}_{item.key}_{depth}")
        lifted = _lift(item.select, joined) if item.spread and rel.to_one else None
        try:
            inner = self.selection(item.select if lifted is None else lifted.raw, target, alias, own)
            sources, conds = self._relation(rel, target, alias, qualifier)
            conds += inner.where(opts.where, target, alias, self.params)
            order = inner.order(opts.order, target, alias, target.name)
        except errors.GatewayError as exc:
            raise _as_aliased(exc, target.name, f"{target.name}_{depth}") from None
        sub = (
            f"SELECT {', '.join(inner.columns)} FROM {sources}{''.join(inner.joins)} WHERE {' AND '.join(conds)}"
            f"{inner.group_by()}{order}"
        )
        if opts.limit is not None:
            sub += f" LIMIT {self.params.add(opts.limit, 'bigint')}"
        if opts.offset:
            sub += f" OFFSET {self.params.add(opts.offset, 'bigint')}"
        kind = "INNER" if item.join == "inner" else "LEFT"
        out.to_one[item.key] = joined if rel.to_one else ""
        out.nulls[item.key] = f"row_to_json({joined}.*)" if rel.to_one else f"{joined}.body"
        if rel.to_one:
            join = f" {kind} JOIN LATERAL ({sub}) AS {joined} ON TRUE"
            if lifted is None:
                out.groups += _spread_groups(item.select, target, joined) if item.spread else [joined]
            if lifted is not None:
                out.columns += lifted.columns
                out.groups += lifted.groups
                out.aggregated = True
            elif item.spread and inner.columns:
                out.columns.append(f"{joined}.*")
            elif inner.columns and not item.spread:
                out.columns.append(f"row_to_json({joined}.*) AS {quote_ident(item.key)}")
        else:
            on = f"{joined}.body IS NOT NULL" if item.join == "inner" else "TRUE"
            join = (
                f" {kind} JOIN LATERAL (SELECT json_agg(pgrst_r) AS body FROM ({sub}) AS pgrst_r) AS {joined} ON {on}"
            )
            if inner.columns:  # an embed of only empty embeds shows nothing, like PostgREST
                out.columns.append(f"coalesce({joined}.body, '[]') AS {quote_ident(item.key)}")
        out.joins.append(join)
        if item.join == "inner":
            out.inner_joins.append(join)

    def _relation(self, rel: Relationship, target: Table, alias: str, parent: str) -> tuple[str, list[str]]:
        """The FROM list and join conditions that tie the embedded rows to the parent row."""
        if rel.function is not None:  # a computed relationship: the function of the parent row gives the rows
            row = f"{parent}.*"
            if parent == SOURCE:  # a CTE's row is a `record`: typed, so that an overloaded function resolves
                row = f"CAST(ROW({row}) AS {quote_ident(rel.table[0])}.{quote_ident(rel.table[1])})"
            call = f"{quote_ident(rel.function[0])}.{quote_ident(rel.function[1])}({row})"
            return f"{call} AS {alias}", ["TRUE"]
        if rel.junction is None:
            return f"{target.sql} AS {alias}", [
                f"{alias}.{quote_ident(fcol)} = {parent}.{quote_ident(col)}" for col, fcol in rel.columns
            ]
        junction = self.cache.table(*rel.junction.table)
        link = "pgrst_x"  # one junction per subquery; a nested embed's own is in a scope of its own
        conds = [f"{alias}.{quote_ident(fcol)} = {link}.{quote_ident(jcol)}" for fcol, jcol in rel.junction.target]
        conds += [f"{link}.{quote_ident(jcol)} = {parent}.{quote_ident(col)}" for col, jcol in rel.junction.source]
        return f"{target.sql} AS {alias}, {junction.sql} AS {link}", conds

    def check_options(self) -> None:
        """PGRST108 for `x.col=...` / `x.order=...` naming no embed of this request."""
        for path in self.options:
            if path in self.known:
                continue
            for depth in range(1, len(path) + 1):
                if path[:depth] not in self.known:
                    raise embed_plan.not_embedded(path[depth - 1])


@dataclass(frozen=True)
class _Lifted:
    """A to-one spread with aggregates: PostgREST aggregates its fields at the parent's level, grouped by the
    parent's other fields (`select=amount.sum(),...categories(owner,budget.sum())`). The lateral subquery
    selects the raw fields (`raw`); the parent selects `columns` and groups by `groups`."""

    raw: tuple[SelectField, ...]
    columns: list[str]
    groups: list[str]


def _lift(select: Sequence[SelectField], joined: str) -> _Lifted | None:
    if not any(isinstance(i, SelectItem) and i.aggregate for i in select):
        return None
    if not all(isinstance(i, SelectItem) and not i.all_columns for i in select):
        return None  # nested embeds or `*` in an aggregating spread: not lifted (PostgreSQL then answers)
    raw: list[SelectField] = []
    columns: list[str] = []
    groups: list[str] = []
    for index, item in enumerate(i for i in select if isinstance(i, SelectItem)):
        if item.aggregate is None:
            raw.append(item)
            columns.append(f"{joined}.{quote_ident(item.key)}")
            groups.append(columns[-1])
            continue
        if item.column == "*":
            expr = f"{item.aggregate}(*)"
        else:
            hidden = f"pgrst_a{index}"
            raw.append(SelectItem(item.column, hidden, item.cast))
            expr = f"{item.aggregate}({joined}.{quote_ident(hidden)})"
        if item.aggregate_cast:
            expr = f"CAST({expr} AS {item.aggregate_cast})"
        columns.append(f"{expr} AS {quote_ident(item.key)}")
    return _Lifted(tuple(raw), columns, groups)


def _spread_groups(select: Sequence[SelectField], target: Table, joined: str) -> list[str]:
    """The columns a to-one spread adds to its parent, to GROUP BY when the parent aggregates."""
    keys: list[str] = []
    for item in select:
        if isinstance(item, SelectItem) and item.all_columns:
            keys += list(target.columns)
        elif not isinstance(item, EmbedItem) or not item.spread:
            keys.append(item.key)
    return [f"{joined}.{quote_ident(key)}" for key in keys]


def plain(select: Sequence[SelectField]) -> tuple[SelectItem, ...]:
    """The columns of a select without embeds (callers check `query.has_embeds` first)."""
    return tuple(item for item in select if isinstance(item, SelectItem))


def _as_aliased(exc: errors.GatewayError, table: str, alias: str) -> errors.GatewayError:
    """A missing column of an embedded table, named by its alias as PostgreSQL names it to PostgREST."""
    prefix = f"column {table}."
    if exc.code != "42703" or not exc.message.startswith(prefix):
        return exc
    return dataclasses.replace(exc, message=f"column {alias}.{exc.message[len(prefix) :]}")


def read(
    cache: SchemaCache, table: Table, query: ParsedQuery, *, limit: int | None, offset: int | None, count: bool
) -> Statement:
    """Like `sql.read` (page_total, body, total), with the embeds of `query.select` and `query.embedded`."""
    builder = _Builder(cache, {opts.path: opts for opts in query.embedded})
    qual = table.sql
    top = builder.selection(query.select, table, qual, ())
    builder.check_options()
    conds = top.where(query.where, table, qual, builder.params)
    filters = " WHERE " + " AND ".join(conds) if conds else ""
    columns = ", ".join(top.columns)
    order = top.order(query.order, table, qual, table.name)
    inner = f"SELECT {columns} FROM {qual}{''.join(top.joins)}{filters}{top.group_by()}{order}"
    if limit is not None:
        inner += f" LIMIT {builder.params.add(limit, 'bigint')}"
    if offset:
        inner += f" OFFSET {builder.params.add(offset, 'bigint')}"
    counted = top.joins if top.uses_embeds else top.inner_joins
    total = f"(SELECT count(*) FROM {qual}{''.join(counted)}{filters})" if count else "NULL::bigint"
    text = f"{_AGGREGATE}, {total} AS total{READ_BACK} FROM ({inner}) pgrst_t"
    return Statement(text, tuple(builder.params.values))


def returning(cache: SchemaCache, table: Table, query: ParsedQuery) -> Returning:
    """A mutation's representation with embeds: `select=` over the changed rows (`sql.SOURCE`).

    Embedded filters, order and limits apply as in a read; `!inner` also drops changed rows from the
    answer (not from the change), as in PostgREST."""
    builder = _Builder(cache, {opts.path: opts for opts in query.embedded})
    top = builder.selection(query.select, table, SOURCE, ())
    builder.check_options()
    return Returning(", ".join(top.columns), "".join(top.joins), tuple(builder.params.values))
