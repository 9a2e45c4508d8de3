"""Relationships between tables, detected from foreign keys, as PostgREST's schema cache does (pure).

    many-to-one   the FK is on the origin table          projects → clients
    one-to-one    an M2O whose FK columns are a PK/UNIQUE (and its inverse)   capital ↔ country
    one-to-many   the inverse of a many-to-one           clients → projects
    many-to-many  through a junction whose two FKs are part of its primary key   users ↔ tasks

Views take part through the foreign keys of the tables they select from (embed_views.py). Only
relations of the exposed schemas take part (a junction in a private schema gives no relationship),
like PostgREST's `removeInternal`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Ident = tuple[str, str]
"""(schema, table)"""
Cardinality = Literal["one-to-many", "many-to-one", "one-to-one", "many-to-many"]
_RANK: dict[Cardinality, int] = {"one-to-many": 0, "many-to-one": 1, "one-to-one": 2, "many-to-many": 3}
"""PostgREST sorts a table's relationships by its `Cardinality` constructors' order (O2M, M2O, O2O, M2M)."""

FOREIGN_KEYS_SQL = """
WITH pks_uniques AS (
  SELECT conrelid, array_agg(key ORDER BY key) AS cols
  FROM pg_catalog.pg_constraint, LATERAL unnest(conkey) AS _(key)
  WHERE contype IN ('p', 'u') GROUP BY oid, conrelid
)
SELECT ns1.nspname, tab.relname, ns2.nspname, other.relname, traint.conname,
       column_info.cols, column_info.refs,
       column_info.nums IN (SELECT cols FROM pks_uniques WHERE conrelid = traint.conrelid) AS one_to_one
FROM pg_catalog.pg_constraint traint
JOIN LATERAL (
  SELECT array_agg(cols.attname::text ORDER BY ord) AS cols, array_agg(refs.attname::text ORDER BY ord) AS refs,
         array_agg(cols.attnum ORDER BY cols.attnum) AS nums
  FROM unnest(traint.conkey, traint.confkey) WITH ORDINALITY AS _(col, ref, ord)
  JOIN pg_catalog.pg_attribute cols ON cols.attrelid = traint.conrelid AND cols.attnum = col
  JOIN pg_catalog.pg_attribute refs ON refs.attrelid = traint.confrelid AND refs.attnum = ref
) AS column_info ON TRUE
JOIN pg_catalog.pg_namespace ns1 ON ns1.oid = traint.connamespace
JOIN pg_catalog.pg_class tab ON tab.oid = traint.conrelid
JOIN pg_catalog.pg_class other ON other.oid = traint.confrelid
JOIN pg_catalog.pg_namespace ns2 ON ns2.oid = other.relnamespace
WHERE traint.contype = 'f' AND traint.conparentid = 0
ORDER BY traint.conrelid, traint.conname
"""


@dataclass(frozen=True)
class ForeignKey:
    table: Ident
    foreign: Ident
    name: str
    columns: tuple[str, ...]
    foreign_columns: tuple[str, ...]
    one_to_one: bool
    """The FK columns are exactly a primary key or a UNIQUE constraint of `table`."""
    table_is_view: bool = False
    foreign_is_view: bool = False
    """Set on the keys embed_views.py derives for views over the tables of a real foreign key."""


@dataclass(frozen=True)
class Junction:
    table: Ident
    constraint1: str
    """The junction's FK to the origin table."""
    constraint2: str
    """The junction's FK to the foreign table."""
    source: tuple[tuple[str, str], ...]
    """(origin column, junction column) pairs."""
    target: tuple[tuple[str, str], ...]
    """(foreign column, junction column) pairs."""


@dataclass(frozen=True)
class Relationship:
    table: Ident
    foreign: Ident
    cardinality: Cardinality
    constraint: str = ""
    """The FK's name (empty for many-to-many: see `junction`)."""
    columns: tuple[tuple[str, str], ...] = ()
    """(origin column, foreign column) pairs; empty for many-to-many."""
    is_self: bool = False
    junction: Junction | None = None
    foreign_is_view: bool = False
    """A view's FK name or column never serves as an embed's target (PostgREST #2277)."""
    function: Ident | None = None
    """A computed relationship (embed_computed.py): the function that returns the related rows; its
    cardinality is many-to-one when it returns one row, one-to-many otherwise."""

    @property
    def to_one(self) -> bool:
        return self.cardinality in ("many-to-one", "one-to-one")

    def sort_key(self) -> tuple[object, ...]:
        junction = self.junction
        jkey = (
            (junction.table, junction.constraint1, junction.constraint2, junction.source, junction.target)
            if junction
            else ()
        )
        function = self.function or ("", "")
        return (self.foreign, self.is_self, _RANK[self.cardinality], self.constraint, self.columns, jkey, function)


def foreign_keys(rows: Sequence[Sequence[object]]) -> tuple[ForeignKey, ...]:
    keys: list[ForeignKey] = []
    for schema, table, fschema, ftable, name, cols, refs, one_to_one in rows:
        keys.append(
            ForeignKey(
                (str(schema), str(table)),
                (str(fschema), str(ftable)),
                str(name),
                tuple(str(c) for c in cols),  # type: ignore[attr-defined]
                tuple(str(c) for c in refs),  # type: ignore[attr-defined]
                bool(one_to_one),
            )
        )
    return tuple(keys)


def relationships(
    keys: Sequence[ForeignKey], primary_keys: Mapping[Ident, Sequence[str]], exposed: Collection[Ident]
) -> dict[Ident, tuple[Relationship, ...]]:
    """Every exposed relation's relationships, sorted as PostgREST sorts them (the order of PGRST201's details).

    `exposed`: the tables and views of the exposed schemas; relationships to anything else are dropped."""
    rels: list[Relationship] = []
    for fk in keys:
        pairs = tuple(zip(fk.columns, fk.foreign_columns, strict=True))
        swapped = tuple((f, c) for c, f in pairs)
        is_self = fk.table == fk.foreign
        rels.append(
            Relationship(
                fk.table,
                fk.foreign,
                "one-to-one" if fk.one_to_one else "many-to-one",
                fk.name,
                pairs,
                is_self,
                foreign_is_view=fk.foreign_is_view,
            )
        )
        rels.append(
            Relationship(
                fk.foreign,
                fk.table,
                "one-to-one" if fk.one_to_one else "one-to-many",
                fk.name,
                swapped,
                is_self,
                foreign_is_view=fk.table_is_view,
            )
        )
    by_table: dict[Ident, list[ForeignKey]] = {}
    for fk in keys:
        by_table.setdefault(fk.table, []).append(fk)
    for junction_table, fks in by_table.items():
        pk = set(primary_keys.get(junction_table, ()))
        for fk1 in fks:
            for fk2 in fks:
                if fk1.name == fk2.name or fk1.one_to_one or fk2.one_to_one:
                    continue
                if not set(fk1.columns) | set(fk2.columns) <= pk:
                    continue
                rels.append(
                    Relationship(
                        fk1.foreign,
                        fk2.foreign,
                        "many-to-many",
                        is_self=fk1.foreign == fk2.foreign,
                        junction=Junction(
                            junction_table,
                            fk1.name,
                            fk2.name,
                            tuple(zip(fk1.foreign_columns, fk1.columns, strict=True)),
                            tuple(zip(fk2.foreign_columns, fk2.columns, strict=True)),
                        ),
                        foreign_is_view=fk2.foreign_is_view,
                    )
                )
    grouped: dict[Ident, list[Relationship]] = {}
    known = set(exposed)
    for rel in rels:
        if rel.table in known and rel.foreign in known and (rel.junction is None or rel.junction.table in known):
            grouped.setdefault(rel.table, []).append(rel)
    return {table: tuple(sorted(found, key=Relationship.sort_key)) for table, found in grouped.items()}
