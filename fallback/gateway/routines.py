"""Functions of the exposed schemas, as PostgREST's schema cache holds them (its `Routine`).

The catalog query follows a domain to its base type only for the result types of these functions:
PostgREST's version walks every type, which PostgreSQL estimates so high that it JIT-compiles the
query (about a second on this machine, at every reconnect).

Loaded with the tables (schema_cache.load). Like PostgREST 12.2 this keeps plain functions only
(`prokind = 'f'`: no procedures, aggregates or window functions), never trigger functions, and
drops functions that cannot be called with named arguments: an unnamed parameter is allowed only
when it is the single one and of type json, jsonb, text, xml or bytea.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal, Protocol

Volatility = Literal["volatile", "stable", "immutable"]
_VOLATILITY: dict[str, Volatility] = {"v": "volatile", "s": "stable", "i": "immutable"}
_SINGLE_UNNAMED_TYPES = frozenset({"bytea", "json", "jsonb", "text", "xml"})
_TYPE_FOR_INPUT = {
    "bit": "bit varying",
    "bit[]": "bit varying[]",
    "character": "character varying",
    "character[]": "character varying[]",
}
"""PostgREST's `ppTypeMaxLength`: types whose length would be cut are read as their varying kin."""

FUNCTIONS_SQL = """
WITH RECURSIVE fn AS (
  SELECT p.*, n.nspname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY($1::text[]) AND p.prokind = 'f' AND p.prorettype <> 'pg_catalog.trigger'::regtype
),
base(start, oid, basetype) AS (
  SELECT t.oid, t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid IN (SELECT prorettype FROM fn)
  UNION ALL
  SELECT b.start, t.oid, t.typbasetype FROM base b JOIN pg_catalog.pg_type t ON t.oid = b.basetype
)
SELECT p.nspname, p.proname, p.provolatile::text, p.proretset, p.pronargdefaults,
       coalesce(p.proargnames, '{}'::text[]),
       array(SELECT format_type(t, NULL)
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY u(t, i) ORDER BY i),
       coalesce(p.proargmodes::text[], '{}'::text[]),
       p.prorettype = 'pg_catalog.void'::regtype, rt.typtype::text, rtn.nspname, rt.typname,
       coalesce(array(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = rt.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                '{}'::text[]),
       coalesce(array(SELECT format_type(a.atttypid, NULL) FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = rt.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                '{}'::text[]),
       b.oid <> p.prorettype,
       (SELECT d.typname::text FROM pg_catalog.pg_type d WHERE d.oid = p.prorettype AND d.typtype = 'd')
FROM fn p
JOIN base b ON b.start = p.prorettype AND b.basetype = 0
JOIN pg_catalog.pg_type rt ON rt.oid = b.oid
JOIN pg_catalog.pg_namespace rtn ON rtn.oid = rt.typnamespace
ORDER BY p.nspname, p.proname, p.oid
"""


class Returns(Enum):
    """PostgREST's RetType: `Single`/`SetOf` of a `Scalar`/`Composite` type (void is a single scalar)."""

    SCALAR = "scalar"
    COMPOSITE = "composite"
    SETOF_SCALAR = "setof scalar"
    SETOF_COMPOSITE = "setof composite"
    VOID = "void"


@dataclass(frozen=True)
class Param:
    name: str
    """Empty for the single unnamed parameter."""
    type: str
    """`format_type` of the parameter's type, e.g. `integer`, `text[]` (shown in PGRST203)."""
    input_type: str
    """The type its argument is read as (`character` → `character varying`)."""
    required: bool
    variadic: bool = False


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type: str


@dataclass(frozen=True)
class Routine:
    schema: str
    name: str
    params: tuple[Param, ...]
    returns: Returns
    volatility: Volatility
    columns: tuple[ResultColumn, ...] = ()
    """The columns of a composite result (a table's row type, a composite type, OUT/TABLE parameters)."""
    composite_alias: bool = False
    """The result type is a domain over a composite type."""
    return_type: tuple[str, str] = ("pg_catalog", "void")
    """(schema, name) of the result type (a domain's base type): for a table's row type, the table whose
    relationships PostgREST embeds from (`funcTableName`)."""

    media_type: str = ""
    """The name of the domain a single scalar result is declared as, when it names a media type
    (`RETURNS "text/plain"`): PostgREST's media type handler for the function's raw value."""

    @property
    def variadic(self) -> bool:
        return any(p.variadic for p in self.params)

    @property
    def single(self) -> bool:
        return self.returns in (Returns.SCALAR, Returns.COMPOSITE, Returns.VOID)

    @property
    def scalar(self) -> bool:
        return self.returns in (Returns.SCALAR, Returns.SETOF_SCALAR, Returns.VOID)


class Fetcher(Protocol):
    async def fetch(self, query: str, *args: object) -> Sequence[Sequence[object]]: ...


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def routine_from_row(row: Sequence[object]) -> Routine | None:
    """One row of FUNCTIONS_SQL; None for a function PostgREST does not expose."""
    (
        schema,
        name,
        volatility,
        retset,
        n_defaults,
        names,
        types,
        modes,
        is_void,
        typtype,
        type_schema,
        type_name,
        attnames,
        atttypes,
        alias,
        *domain,
    ) = row
    arg_names, arg_types, arg_modes = _strings(names), _strings(types), _strings(modes)
    arg_modes = arg_modes or ["i"] * len(arg_types)
    arg_names = arg_names + [""] * (len(arg_types) - len(arg_names))
    inputs = [(n, t, m) for n, t, m in zip(arg_names, arg_types, arg_modes, strict=True) if m in ("i", "b", "v")]
    outputs = [ResultColumn(n, t) for n, t, m in zip(arg_names, arg_types, arg_modes, strict=True) if m in "bot"]
    unnamed = [t for n, t, _ in inputs if not n]
    if unnamed and (len(inputs) != 1 or unnamed[0] not in _SINGLE_UNNAMED_TYPES):
        return None
    n_required = len(inputs) - int(str(n_defaults))
    params = tuple(
        Param(n, t, _TYPE_FOR_INPUT.get(t, t), index < n_required, m == "v") for index, (n, t, m) in enumerate(inputs)
    )
    composite = typtype == "c" or bool(outputs)
    if outputs:
        columns = tuple(outputs)
    elif typtype == "c":
        columns = tuple(ResultColumn(a, t) for a, t in zip(_strings(attnames), _strings(atttypes), strict=True))
    else:
        columns = ()
    if is_void:
        returns = Returns.VOID
    elif retset:
        returns = Returns.SETOF_COMPOSITE if composite else Returns.SETOF_SCALAR
    else:
        returns = Returns.COMPOSITE if composite else Returns.SCALAR
    return Routine(
        str(schema),
        str(name),
        params,
        returns,
        _VOLATILITY.get(str(volatility), "volatile"),
        columns,
        bool(alias) and composite,
        (str(type_schema), str(type_name)),
        _media_type(domain[0] if domain else None, returns),
    )


def _media_type(domain: object, returns: Returns) -> str:
    name = str(domain) if domain is not None else ""
    return name if returns is Returns.SCALAR and "/" in name else ""


def build(rows: Sequence[Sequence[object]]) -> dict[tuple[str, str], tuple[Routine, ...]]:
    found: dict[tuple[str, str], list[Routine]] = {}
    for row in rows:
        routine = routine_from_row(row)
        if routine is not None:
            found.setdefault((routine.schema, routine.name), []).append(routine)
    return {key: tuple(value) for key, value in found.items()}


async def load(conn: Fetcher, schemas: list[str]) -> dict[tuple[str, str], tuple[Routine, ...]]:
    return build(await conn.fetch(FUNCTIONS_SQL, schemas))
