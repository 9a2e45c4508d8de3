"""Read a source's schema from pg_catalog: the facts `fallback.project.schema` models.

One round trip per catalog (tables and columns, constraints, indexes, policies, enums), so a project
of a hundred tables is read in a few tens of milliseconds. Views and materialized views are read
too (scenarios may load them) with no primary key.

The RLS owner and tenant columns come from the policies' expressions as PostgreSQL prints them
(`pg_get_expr`): `(user_id = auth.uid())` names an owner column; a column compared with the JWT's
claims (`auth.jwt() ->> 'tenant_id'`, `current_setting('request.jwt.claims', ...)`) or found `IN` a subquery
(a membership table, directly or through a function such as `my_org_ids()`) names a tenant column.
Policies written otherwise leave both unset, and generated rows then carry whatever the strategies draw.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import asyncpg

from fallback.project.schema import Column, ForeignKey, ProjectSchema, TableSchema

__all__ = ["digest", "introspect", "policy_columns"]

_RELATIONS = """
SELECT c.oid, n.nspname AS schema_name, c.relname AS name, c.relkind::text AS relkind, c.relrowsecurity AS rls
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
ORDER BY n.nspname, c.relname
"""
_COLUMNS = """
SELECT a.attrelid AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       coalesce(elem.typname, t.typname) AS base_type, t.typcategory = 'A' AS is_array,
       NOT a.attnotnull AS nullable, (a.atthasdef OR a.attidentity <> '') AS has_default,
       (a.attgenerated <> '' OR a.attidentity = 'a') AS generated, a.atttypmod AS typmod,
       coalesce(elem.oid, t.oid) AS base_oid
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type elem ON elem.oid = t.typelem AND t.typcategory = 'A'
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_CONSTRAINTS = """
SELECT con.conrelid AS oid, con.conname AS name, con.contype::text AS kind,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos) AS columns,
       rn.nspname AS ref_schema, rc.relname AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.pos) AS ref_columns,
       pg_get_constraintdef(con.oid) AS definition
FROM pg_constraint con
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.conname
"""
_UNIQUE_INDEXES = """
SELECT i.indrelid AS oid, a.attname AS name
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = ANY($1::oid[]) AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL
  AND i.indexprs IS NULL
"""
_POLICIES = """
SELECT p.polrelid AS oid, pg_get_expr(p.polqual, p.polrelid) AS qual,
       pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
FROM pg_policy p WHERE p.polrelid = ANY($1::oid[])
"""
_ENUMS = """
SELECT e.enumtypid AS oid, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
FROM pg_enum e GROUP BY e.enumtypid
"""
_OWNER = re.compile(r"(?<![.\w])(\w+)\)?\s*=\s*auth\.uid\(\)|auth\.uid\(\)\s*=\s*\(?(?<![.\w])(\w+)\b(?!\.)")
_TENANT = re.compile(
    r"\(?(\w+)\)?(?:::\w+)?\s*(?:IN\s*\(\s*SELECT\b|=\s*\(*\s*(?:auth\.jwt\(\)|current_setting\('request\.jwt|request\.jwt))"
)


def policy_columns(expressions: Iterable[str], columns: Collection[str]) -> tuple[str | None, str | None]:
    """(owner column, tenant column) named by RLS policy expressions as `pg_get_expr` prints them; only
    names of `columns` (the table's own) count, so `m.user_id = auth.uid()` inside a subquery does not."""
    owner: str | None = None
    tenant: str | None = None
    for text in expressions:
        for match in _OWNER.finditer(text):
            name = match.group(1) or match.group(2)
            if owner is None and name in columns:
                owner = name
        for match in _TENANT.finditer(text):
            if tenant is None and match.group(1) in columns:
                tenant = match.group(1)
    return owner, (tenant if tenant != owner else None)


def _typmod_facts(base_type: str, typmod: int) -> dict[str, int | None]:
    if typmod < 0:
        return {}
    if base_type in ("varchar", "bpchar"):
        return {"max_length": typmod - 4}
    if base_type == "numeric":
        return {"numeric_precision": ((typmod - 4) >> 16) & 0xFFFF, "numeric_scale": (typmod - 4) & 0xFFFF}
    return {}


async def introspect(dsn: str, schemas: Sequence[str] = ("public",)) -> ProjectSchema:
    """The tables and views of `schemas` in the database at `dsn`, with their keys and policies."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        relations = await conn.fetch(_RELATIONS, list(schemas))
        oids = [r["oid"] for r in relations]
        columns = await conn.fetch(_COLUMNS, oids)
        constraints = await conn.fetch(_CONSTRAINTS, oids)
        unique_indexes = await conn.fetch(_UNIQUE_INDEXES, oids)
        policies = await conn.fetch(_POLICIES, oids)
        enums = {r["oid"]: tuple(r["labels"]) for r in await conn.fetch(_ENUMS)}
    finally:
        await conn.close()
    by_oid: dict[int, list[asyncpg.Record]] = defaultdict(list)
    for row in constraints:
        by_oid[row["oid"]].append(row)
    unique: set[tuple[int, str]] = {(r["oid"], r["name"]) for r in unique_indexes}
    unique |= {(r["oid"], r["columns"][0]) for r in constraints if r["kind"] in ("p", "u") and len(r["columns"]) == 1}
    checks: dict[tuple[int, str], list[str]] = defaultdict(list)
    for row in constraints:
        if row["kind"] == "c" and len(row["columns"]) == 1:
            checks[(row["oid"], row["columns"][0])].append(row["definition"])
    columns_of: dict[int, list[Column]] = defaultdict(list)
    for c in columns:
        key = (c["oid"], c["name"])
        columns_of[c["oid"]].append(
            Column(
                name=c["name"],
                type=c["type"],
                base_type=c["base_type"],
                nullable=c["nullable"],
                has_default=c["has_default"],
                generated=c["generated"],
                is_array=c["is_array"],
                enum_values=enums.get(c["base_oid"]),
                checks=tuple(checks.get(key, ())),
                unique=key in unique,
                **_typmod_facts(c["base_type"], c["typmod"]),
            )
        )
    expressions: dict[int, list[str]] = defaultdict(list)
    for p in policies:
        expressions[p["oid"]] += [e for e in (p["qual"], p["with_check"]) if e]
    tables = []
    for r in relations:
        own = by_oid[r["oid"]]
        pk = next((tuple(c["columns"]) for c in own if c["kind"] == "p"), ())
        fks = tuple(
            ForeignKey(
                name=c["name"],
                columns=tuple(c["columns"]),
                ref_schema=c["ref_schema"],
                ref_table=c["ref_table"],
                ref_columns=tuple(c["ref_columns"]),
            )
            for c in own
            if c["kind"] == "f"
        )
        owner, tenant = policy_columns(expressions[r["oid"]], {c.name for c in columns_of[r["oid"]]})
        tables.append(
            TableSchema(
                schema_name=r["schema_name"],
                name=r["name"],
                columns=tuple(columns_of[r["oid"]]),
                primary_key=pk,
                foreign_keys=fks,
                rls=r["rls"],
                owner_column=owner,
                tenant_column=tenant,
            )
        )
    return ProjectSchema(tables=tuple(tables))


def digest(paths: Iterable[Path]) -> str:
    """sha256 over the files' names and contents, in the order given (a schema cache key)."""
    hasher = hashlib.sha256()
    for path in paths:
        hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()
