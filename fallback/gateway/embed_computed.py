"""Computed relationships: functions over a table's row type returning rows of another relation (pure).

    CREATE FUNCTION premieres(films) RETURNS SETOF premieres ...            to-many: films?select=*,premieres(*)
    CREATE FUNCTION director(films) RETURNS directors ...                    to-one
    CREATE FUNCTION director(films) RETURNS SETOF directors ROWS 1 ...       to-one

As in PostgREST's schema cache (`allComputedRels`, `getOverrideRelationshipsMap`): any function of one argument
whose argument and result are the row types of relations; it is embedded by its name (hints are not needed),
and it replaces the foreign-key relationships between the same table and a relation named like the function.
Both the table and the returned relation must be exposed; the function itself may live in any schema.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from .embed_schema import Ident, Relationship

__all__ = ["COMPUTED_RELATIONSHIPS_SQL", "with_computed"]

COMPUTED_RELATIONSHIPS_SQL = """
SELECT pn.nspname, p.proname, tn.nspname, t.relname, fn.nspname, f.relname,
       NOT p.proretset OR p.prorows = 1 AS single_row
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
JOIN pg_catalog.pg_class t ON t.reltype = p.proargtypes[0] AND t.relkind IN ('v', 'r', 'm', 'f', 'p')
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_catalog.pg_class f ON f.reltype = p.prorettype AND f.relkind IN ('v', 'r', 'm', 'f', 'p')
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
WHERE p.pronargs = 1
ORDER BY p.oid
"""


def computed(rows: Sequence[Sequence[object]], exposed: Collection[Ident]) -> tuple[Relationship, ...]:
    """COMPUTED_RELATIONSHIPS_SQL's rows → relationships (between exposed relations only)."""
    known = set(exposed)
    found: list[Relationship] = []
    for fschema, fname, schema, table, rschema, rtable, single in rows:
        origin, target = (str(schema), str(table)), (str(rschema), str(rtable))
        if origin not in known or target not in known:
            continue
        found.append(
            Relationship(
                origin,
                target,
                "many-to-one" if single else "one-to-many",
                is_self=origin == target,
                function=(str(fschema), str(fname)),
            )
        )
    return tuple(found)


def with_computed(
    relationships: Mapping[Ident, tuple[Relationship, ...]],
    rows: Sequence[Sequence[object]],
    exposed: Collection[Ident],
) -> dict[Ident, tuple[Relationship, ...]]:
    """Every table's relationships with its computed ones added; a computed relationship replaces the
    foreign-key ones between its table and a relation named like its function (PostgREST's override)."""
    merged = {table: list(rels) for table, rels in relationships.items()}
    for rel in computed(rows, exposed):
        own = merged.setdefault(rel.table, [])
        own[:] = [r for r in own if r.function != rel.function and (r.function or r.foreign != rel.function)]
        own.append(rel)
    return {table: tuple(sorted(rels, key=Relationship.sort_key)) for table, rels in merged.items()}
