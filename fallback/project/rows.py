"""Rows generated from a table's schema: for the seed, for `create` operations, for property tests.

`generate_rows(table, count, seed=..., context=...)` is deterministic: it draws from a
`random.Random` seeded with the seed and the table's name, through the plain `draw` face of each
column's generator (`fallback.project.values`). Hypothesis cannot serve that use: `find` and
`.example()` are neither deterministic nor fast, and drawing a strategy with our own RNG needs its
internals. `row_strategy(table, context)` is the Hypothesis face of the same generators (shrinking,
for property tests and `explore`); `rows_strategy` adds the per-batch uniqueness.

Per column, first rule that applies:
1. generated columns (GENERATED ALWAYS, identity ALWAYS) are never written;
2. the RLS owner column gets the signed-in user (`context.user_id`), else one of `context.users`
   (seed row i gets user i mod n, the spec's rule), else a drawn value;
3. a primary-key column that is not part of a foreign key gets a harness key (`fallback.project.keys`):
   from `context.keys` when given (the seed: stable ids, disjoint per source), else drawn: uuid4 from the
   seeded RNG, an integer from a range no sequence or seed block reaches, a random text;
4. the tenant column gets `context.tenant` when given (unless it is a key column of rule 3);
5. foreign-key columns get the key of a parent row of the same source (`context.parents[fk.name]`;
   an FK into `auth.users` takes `context.users` when no parents are given); a nullable FK with no
   parent is NULL, a NOT NULL one is a `RowsError`;
6. any other column gets a value of its type: NULL sometimes when nullable, left out sometimes when it
   has a default (so defaults get exercised; always in the seed: `RowContext.default_share`), simple
   CHECKs honoured (`fallback.project.checks`).
A column of a type the generators do not know is left out when it may be, else a `RowsError`.
A GENERATED ALWAYS identity key cannot be written (PostgreSQL refuses it): such a table's rows get
their key from the database, and the checker has to read it back.
The primary key and every single-column UNIQUE column are unique within a batch (redrawn on a clash).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from fallback.project.keys import KeyPlan, int_block, int_random_range, seed_id, text_key
from fallback.project.schema import Column, ForeignKey, TableSchema
from fallback.project.values import JsonValue, ValueGen, between, pick, value_gen

__all__ = ["Row", "RowContext", "RowsError", "free_text_column", "generate_rows", "row_strategy", "rows_strategy"]

Row = dict[str, JsonValue]
"""Column name to a JSON-ready value (what a client sends and `json_populate_recordset` reads)."""
ParentKey = tuple[JsonValue, ...]
NULL_SHARE = 0.15
DEFAULT_SHARE = 0.25
MAX_ATTEMPTS = 50
AUTH_USERS = ("auth", "users")


class RowsError(ValueError):
    """Rows cannot be generated for a table (no parent rows for a NOT NULL FK, an unknown type, ...)."""


@dataclass(frozen=True)
class RowContext:
    """What generated rows must agree with, in one source."""

    user_id: str | None = None
    """The signed-in user: the owner column is set to them."""
    users: tuple[str, ...] = ()
    """Seeded users of the source: owner column (and FKs into auth.users) when nobody is signed in."""
    tenant: JsonValue = None
    """The tenant column's value (multi-tenant RLS), when the scenario acts for one tenant."""
    parents: Mapping[str, Sequence[ParentKey]] = field(default_factory=dict)
    """Per foreign key (by constraint name): the keys of parent rows that exist in the source."""
    keys: KeyPlan | None = None
    """Deterministic primary keys (the seed); None draws them from the seeded RNG."""
    strict_parents: bool = True
    """False: a NOT NULL foreign key with no parent row is left out of the row (the database then refuses
    it, as it would the app's) instead of a `RowsError` (the workload, whose parents come from its loads)."""
    default_share: float = DEFAULT_SHARE
    """How often a column with a default is left out (the database fills it). The seed uses 1: seeded rows
    look like rows the app wrote (a purchase `pending`, timestamps `now()`), as the spec's seed always did."""


@dataclass(frozen=True)
class _Plan:
    """How each written column of `table` gets its value under `context`."""

    table: TableSchema
    context: RowContext
    keys: tuple[Column, ...]
    fks: tuple[tuple[ForeignKey, tuple[str, ...], Sequence[ParentKey]], ...]
    values: tuple[tuple[Column, ValueGen], ...]
    owner: str | None
    tenant: str | None


def _int_type(column: Column) -> str:
    return column.base_type if column.base_type in ("int2", "int4", "int8") else "int4"


def _plan(table: TableSchema, context: RowContext) -> _Plan:
    written = [c for c in table.columns if not c.generated]
    names = {c.name for c in written}
    owner = table.owner_column if table.owner_column in names and (context.user_id or context.users) else None
    fk_columns = {name for fk in table.foreign_keys for name in fk.columns}
    keys = tuple(c for c in written if c.name in table.primary_key and c.name not in fk_columns and c.name != owner)
    key_names = {c.name for c in keys}
    tenant_ok = context.tenant is not None and table.tenant_column in names and table.tenant_column not in key_names
    tenant = table.tenant_column if tenant_ok else None  # a key column (organizations.id) keeps its harness key
    taken = {owner, tenant, *(c.name for c in keys)}
    fks = []
    for fk in table.foreign_keys:
        free = tuple(name for name in fk.columns if name not in taken)
        if not free or any(name not in names for name in fk.columns):
            continue
        parents: Sequence[ParentKey] = context.parents.get(fk.name, ())
        if not parents and (fk.ref_schema, fk.ref_table) == AUTH_USERS and len(fk.columns) == 1:
            parents = tuple((user,) for user in context.users)
        if not parents and not all(table.column(name).nullable for name in free):
            if not context.strict_parents:
                taken |= set(free)
                continue
            raise RowsError(
                f"{table.name}.{','.join(fk.columns)} references {fk.ref_table}, which has no rows in this source: "
                f"seed {fk.ref_table} in the same source too"
            )
        fks.append((fk, free, parents))
        taken |= set(free)
    values = []
    for column in written:
        if column.name in taken:
            continue
        gen = value_gen(column)
        if gen is None:
            if column.nullable or column.has_default:
                continue
            raise RowsError(f"{table.name}.{column.name}: cannot generate values of type {column.type}")
        values.append((column, gen))
    return _Plan(table, context, keys, tuple(fks), tuple(values), owner, tenant)


def _key(column: Column, table: str, index: int, plan: KeyPlan | None, rng: random.Random) -> JsonValue:
    if column.base_type in ("int2", "int4", "int8"):
        if plan is None:
            return between(rng, *int_random_range(column.base_type))
        low, high = int_block(_int_type(column), plan.block)
        if low + index > high:
            raise RowsError(
                f"{table}.{column.name}: more rows than the {column.type} key block holds ({high - low + 1})"
            )
        return low + index
    if column.base_type == "uuid":
        if plan is None:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return str(seed_id(plan.label, table, index))
    if column.base_type in ("text", "varchar", "citext", "bpchar"):
        if plan is None:
            return f"{rng.getrandbits(64):016x}"[: column.max_length or 16]
        return text_key(plan.label, table, index, column.max_length)
    gen = value_gen(column)
    if gen is None:
        raise RowsError(f"{table}.{column.name}: cannot generate primary keys of type {column.type}")
    return gen.draw(rng)


def _draw(plan: _Plan, rng: random.Random, index: int, attempt: int) -> Row:
    context, table = plan.context, plan.table
    row: Row = {}
    if plan.owner is not None:
        users = context.users
        row[plan.owner] = context.user_id or (users[index % len(users)] if attempt == 0 else pick(rng, users))
    keys = context.keys
    for column in plan.keys:
        at = index if keys is None else keys.start + index
        row[column.name] = _key(column, table.name, at, keys, rng)
    if plan.tenant is not None:
        row[plan.tenant] = context.tenant
    for fk, free, parents in plan.fks:
        if not parents:
            row.update(dict.fromkeys(free, None))
            continue
        parent = pick(rng, parents)
        chosen = dict(zip(fk.columns, parent, strict=False))
        row.update({name: chosen[name] for name in free})
    for column, gen in plan.values:
        if column.has_default and rng.random() < context.default_share:
            continue
        row[column.name] = None if column.nullable and rng.random() < NULL_SHARE else gen.draw(rng)
    return row


def _unique_columns(table: TableSchema) -> tuple[Column, ...]:
    return tuple(c for c in table.columns if c.unique and tuple(table.primary_key) != (c.name,) and not c.generated)


def _fingerprints(table: TableSchema, row: Row) -> list[tuple[str, object]]:
    """The values that must not repeat within a batch (citext compares case-insensitively)."""
    found: list[tuple[str, object]] = []
    if table.primary_key and all(name in row for name in table.primary_key):
        found.append(("pk", tuple(str(row[name]) for name in table.primary_key)))
    for column in _unique_columns(table):
        value = row.get(column.name)
        if value is not None:
            text = str(value)
            found.append((column.name, text.lower() if column.base_type == "citext" else text))
    return found


def generate_rows(table: TableSchema, count: int, *, seed: int | str, context: RowContext) -> list[Row]:
    """`count` rows for `table`, the same for the same arguments (see the module docstring for the rules)."""
    plan = _plan(table, context)
    rng = random.Random(f"{seed}:{table.qualified}")
    seen: set[tuple[str, object]] = set()
    rows: list[Row] = []
    for index in range(count):
        for attempt in range(MAX_ATTEMPTS):
            row = _draw(plan, rng, index, attempt)
            marks = _fingerprints(table, row)
            if not seen.intersection(marks):
                break
        else:
            unique = ", ".join(["primary key", *(c.name for c in _unique_columns(table))])
            raise RowsError(f"{table.name}: cannot make {count} rows with distinct values of {unique}")
        seen.update(marks)
        rows.append(row)
    return rows


def _key_strategy(column: Column, table: str) -> st.SearchStrategy[JsonValue]:
    if column.base_type in ("int2", "int4", "int8"):
        return st.integers(*int_random_range(column.base_type))
    if column.base_type == "uuid":
        return st.uuids(version=4).map(str)
    if column.base_type in ("text", "varchar", "citext", "bpchar"):
        size = min(column.max_length or 16, 16)
        return st.text("0123456789abcdef", min_size=size, max_size=size)
    gen = value_gen(column)
    if gen is None:
        raise RowsError(f"{table}.{column.name}: cannot generate primary keys of type {column.type}")
    return gen.strategy()


def row_strategy(table: TableSchema, context: RowContext = RowContext()) -> st.SearchStrategy[Row]:
    """One generated row, as a Hypothesis strategy (the same rules as `generate_rows`; keys always drawn)."""
    plan = _plan(table, context)

    @st.composite
    def rows(draw: st.DrawFn) -> Row:
        row: Row = {}
        if plan.owner is not None:
            row[plan.owner] = context.user_id or draw(st.sampled_from(context.users))
        for column in plan.keys:
            row[column.name] = draw(_key_strategy(column, table.name))
        if plan.tenant is not None:
            row[plan.tenant] = context.tenant
        for fk, free, parents in plan.fks:
            parent = draw(st.sampled_from(parents)) if parents else tuple(None for _ in fk.columns)
            chosen = dict(zip(fk.columns, parent, strict=False))
            row.update({name: chosen[name] for name in free})
        for column, gen in plan.values:
            value = st.none() | gen.strategy() if column.nullable else gen.strategy()
            share = context.default_share
            if column.has_default and (share >= 1 or (share > 0 and draw(st.booleans()))):
                continue
            row[column.name] = draw(value)
        return row

    return rows()


def _unique_by(table: TableSchema) -> tuple[Callable[[Row], object], ...]:
    def key(row: Row) -> object:
        return tuple(str(row.get(name)) for name in table.primary_key)

    def unique(column: Column) -> Callable[[Row], object]:
        def value(row: Row) -> object:
            found = row.get(column.name)
            if found is None:
                return object()  # NULLs never clash
            return str(found).lower() if column.base_type == "citext" else str(found)

        return value

    return ((key,) if table.primary_key else ()) + tuple(unique(c) for c in _unique_columns(table))


def rows_strategy(
    table: TableSchema, context: RowContext = RowContext(), *, max_size: int = 20
) -> st.SearchStrategy[list[Row]]:
    """A batch of rows whose primary keys and unique columns do not repeat."""
    return st.lists(row_strategy(table, context), max_size=max_size, unique_by=_unique_by(table) or None)


def free_text_column(table: TableSchema) -> str | None:
    """A NOT-key text column with no CHECK, no length limit under 40 and no FK, where a marker can be written."""
    fk_columns = {name for fk in table.foreign_keys for name in fk.columns}
    for column in table.columns:
        if (
            column.base_type in ("text", "varchar", "citext")
            and not column.is_array
            and not column.generated
            and not column.checks
            and column.enum_values is None
            and (column.max_length is None or column.max_length >= 40)
            and column.name not in (*table.primary_key, *fk_columns, table.owner_column, table.tenant_column)
        ):
            return column.name
    return None
