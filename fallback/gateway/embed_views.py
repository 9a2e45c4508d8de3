"""Relationships through views: a view inherits the foreign keys of the tables it selects from (pure).

PostgREST (`allViewsKeyDependencies`, `addViewM2OAndO2ORels`) finds, for each view column, the table
column it passes through unchanged, and then gives the view every foreign key whose columns all pass
through it: view → table, table → view and view → view, with the foreign key's name, and a primary key
made of the columns that pass its table's primary key through. One view column per table column
combination (a column selected twice gives two relationships, as in PostgREST).

Where a column comes from is read from the view's rewrite rule: PostgreSQL records each output
column's origin (`resorigtbl`, `resorigcol` of the top-level target list) when it parses the view.
A view over a view records the inner view as the origin; the chain is followed down to the table
(`through_views`, like PostgREST's recursive `allViewsKeyDependencies`), as long as every view on it is
in an exposed schema.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from itertools import product

from .embed_schema import ForeignKey, Ident, Relationship, foreign_keys, relationships

VIEW_COLUMNS_SQL = r"""
SELECT DISTINCT vn.nspname, v.relname, va.attname, tn.nspname, t.relname, ta.attname, va.attnum
FROM pg_catalog.pg_class v
JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_catalog.pg_rewrite r ON r.ev_class = v.oid AND r.rulename = '_RETURN'
CROSS JOIN LATERAL regexp_matches(
  r.ev_action::text, ':resno (\d+) :resname (\S+) :ressortgroupref \d+ :resorigtbl (\d+) :resorigcol (\d+)', 'g'
) AS m
JOIN pg_catalog.pg_attribute va ON va.attrelid = v.oid AND va.attnum = m[1]::int AND va.attname = m[2]
JOIN pg_catalog.pg_class t ON t.oid = m[3]::oid AND t.relkind IN ('r', 'p', 'f', 'v', 'm')
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_catalog.pg_attribute ta ON ta.attrelid = t.oid AND ta.attnum = m[4]::int
WHERE v.relkind IN ('v', 'm') AND vn.nspname = ANY($1::text[])
ORDER BY vn.nspname, v.relname, va.attnum
"""
"""Rows: view schema, view, view column, table schema, table, table column. Names the node tree prints
escaped (spaces, parentheses) do not match the view's own column names and are left out."""

ColumnMap = dict[str, list[str]]
"""A table column → the view columns that pass it through."""


MAX_VIEW_DEPTH = 16
"""How many views deep a column is followed (a bound against a view defined over itself)."""
Origin = tuple[Ident, str]
"""(relation, column)"""


def through_views(rows: Sequence[Sequence[object]]) -> list[tuple[Ident, str, Ident, str]]:
    """(view, view column, table, table column): each view column's origin, followed through views to a table."""
    origin: dict[Origin, list[Origin]] = {}
    for vschema, view, vcol, tschema, table, tcol, _ in rows:
        origin.setdefault(((str(vschema), str(view)), str(vcol)), []).append(((str(tschema), str(table)), str(tcol)))
    views = {relation for relation, _ in origin}
    resolved: list[tuple[Ident, str, Ident, str]] = []
    for (view, column), sources in origin.items():
        for depth in range(MAX_VIEW_DEPTH):
            tables = [source for source in sources if source[0] not in views]
            resolved += [(view, column, *source) for source in tables]
            sources = [deeper for source in sources if source in origin for deeper in origin[source]]
            if not sources or depth == MAX_VIEW_DEPTH - 1:
                break
    return resolved


def _by_table(rows: Sequence[Sequence[object]]) -> dict[Ident, dict[Ident, ColumnMap]]:
    """table → view → column map."""
    found: dict[Ident, dict[Ident, ColumnMap]] = {}
    for view, vcol, table, tcol in through_views(rows):
        found.setdefault(table, {}).setdefault(view, {}).setdefault(tcol, []).append(vcol)
    return found


def _combos(columns: Sequence[str], mapping: ColumnMap) -> list[tuple[str, ...]]:
    return list(product(*(mapping.get(column, []) for column in columns)))


def view_keys(
    keys: Sequence[ForeignKey], rows: Sequence[Sequence[object]], primary_keys: Mapping[Ident, Sequence[str]]
) -> tuple[list[ForeignKey], dict[Ident, tuple[str, ...]]]:
    """The foreign keys views inherit, and the views' primary keys."""
    tables = _by_table(rows)
    derived: list[ForeignKey] = []
    for fk in keys:
        from_views = [(v, c) for v, m in tables.get(fk.table, {}).items() for c in _combos(fk.columns, m)]
        to_views = [(v, c) for v, m in tables.get(fk.foreign, {}).items() for c in _combos(fk.foreign_columns, m)]
        derived += [replace(fk, table=v, columns=c, table_is_view=True) for v, c in from_views]
        derived += [replace(fk, foreign=v, foreign_columns=c, foreign_is_view=True) for v, c in to_views]
        derived += [
            replace(fk, table=v1, columns=c1, foreign=v2, foreign_columns=c2, table_is_view=True, foreign_is_view=True)
            for v1, c1 in from_views
            for v2, c2 in to_views
        ]
    keys_of_views: dict[Ident, tuple[str, ...]] = {}
    for table, views in tables.items():
        pk = primary_keys.get(table, ())
        for view, mapping in views.items():
            if pk and all(column in mapping for column in pk):
                keys_of_views[view] = tuple(mapping[column][0] for column in pk)
    return derived, keys_of_views


def all_relationships(
    fk_rows: Sequence[Sequence[object]],
    view_rows: Sequence[Sequence[object]],
    primary_keys: Mapping[Ident, Sequence[str]],
    exposed: Collection[Ident],
) -> dict[Ident, tuple[Relationship, ...]]:
    keys = foreign_keys(fk_rows)
    derived, keys_of_views = view_keys(keys, view_rows, primary_keys)
    return relationships([*keys, *derived], {**primary_keys, **keys_of_views}, exposed)
