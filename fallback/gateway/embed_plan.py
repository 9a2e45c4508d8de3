"""Which relationship an embed names, and PostgREST's errors when none or several match (pure).

A port of PostgREST's `findRel` (Plan.hs, v12.2+): the target is a table, a foreign key's name or a
single FK column; the hint (`target!hint`) is a foreign key's name, a column of it, or a junction table.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

from .embed_schema import Relationship
from .errors import GatewayError
from .schema_cache import SchemaCache


@dataclass(frozen=True)
class AmbiguousEmbed(GatewayError):
    """PGRST201: its `details` is a JSON array, which `GatewayError` (text details) cannot carry."""

    candidates: tuple[dict[str, str], ...] = field(default=())

    def body(self) -> bytes:
        body = {"code": self.code, "details": list(self.candidates), "hint": self.hint, "message": self.message}
        return json.dumps(body, separators=(",", ":")).encode()


def _single(rel: Relationship, column_of: int) -> str | None:
    """The relationship's only FK column on one side (0: origin, 1: foreign), if it has just one."""
    return rel.columns[0][column_of] if len(rel.columns) == 1 else None


def _matches(rel: Relationship, target: str, hint: str | None) -> bool:
    if rel.function is not None:  # a computed relationship: by the function's name, whatever the hint
        return target == rel.function[1]
    target_is_table = target == rel.foreign[1]
    if rel.is_self:
        if hint is None:
            return (target_is_table and rel.cardinality == "one-to-many") or (
                _single(rel, 0) == target and rel.cardinality == "many-to-one"
            )
        return target_is_table and rel.cardinality == "one-to-many" and _single(rel, 1) == hint
    if hint is None:
        return target_is_table or (
            rel.junction is None and not rel.foreign_is_view and target in (rel.constraint, _single(rel, 0))
        )
    if not target_is_table:
        return False
    if rel.junction is not None:
        return hint == rel.junction.table[1]
    return hint in (rel.constraint, _single(rel, 0), _single(rel, 1))


def find(cache: SchemaCache, origin: tuple[str, str], target: str, hint: str | None) -> Relationship:
    rels = [rel for rel in cache.relationships.get(origin, ()) if _matches(rel, target, hint)]
    if len(rels) == 1:
        return rels[0]
    if not rels:
        raise no_relationship(cache, origin, target, hint)
    raise ambiguous(origin[1], target, rels)


def _fmt(columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(columns) + ")"


def describe(rel: Relationship) -> dict[str, str]:
    """One entry of PGRST201's details (PostgREST's `compressedRel`)."""
    if rel.junction is not None:
        j = rel.junction
        text = (
            f"{j.table[1]} using {j.constraint1}{_fmt(tuple(c for _, c in j.source))} and "
            f"{j.constraint2}{_fmt(tuple(c for _, c in j.target))}"
        )
    else:
        text = (
            f"{rel.constraint} using {rel.table[1]}{_fmt(tuple(c for c, _ in rel.columns))} and "
            f"{rel.foreign[1]}{_fmt(tuple(f for _, f in rel.columns))}"
        )
    return {"cardinality": rel.cardinality, "embedding": f"{rel.table[1]} with {rel.foreign[1]}", "relationship": text}


def ambiguous(origin: str, target: str, rels: list[Relationship]) -> AmbiguousEmbed:
    names = ", ".join(f"'{rel.foreign[1]}!{rel.junction.table[1] if rel.junction else rel.constraint}'" for rel in rels)
    return AmbiguousEmbed(
        300,
        "PGRST201",
        f"Could not embed because more than one relationship was found for '{origin}' and '{target}'",
        hint=f"Try changing '{target}' to one of the following: {names}. Find the desired relationship in the "
        "'details' key.",
        candidates=tuple(describe(rel) for rel in rels),
    )


def no_relationship(cache: SchemaCache, origin: tuple[str, str], target: str, hint: str | None) -> GatewayError:
    schema, parent = origin
    using = f"' using the hint '{hint}" if hint is not None else ""
    return GatewayError(
        400,
        "PGRST200",
        f"Could not find a relationship between '{parent}' and '{target}' in the schema cache",
        f"Searched for a foreign key relationship between '{parent}' and '{target}{using}' in the schema "
        f"'{schema}', but no matches were found.",
        _suggestion(cache, origin, target),
    )


def _suggestion(cache: SchemaCache, origin: tuple[str, str], target: str) -> str | None:
    """PostgREST's `noRelBetweenHint`: a close name for the child (or the parent when it has no relationships).

    PostgREST scores with a fuzzy set of n-grams; difflib's ratio is this gateway's approximation."""
    schema, parent = origin
    own = cache.relationships.get(origin)
    if own:
        children = sorted({rel.foreign[1] for rel in own})
        if target in children:
            return None
        close = difflib.get_close_matches(target, children, n=1, cutoff=0.5)
        return f"Perhaps you meant '{close[0]}' instead of '{target}'." if close else None
    parents = sorted({name for (s, name) in cache.relationships if s == schema})
    close = difflib.get_close_matches(parent, parents, n=1, cutoff=0.5)
    return f"Perhaps you meant '{close[0]}' instead of '{parent}'." if close else None


def not_embedded(name: str) -> GatewayError:
    return GatewayError(
        400,
        "PGRST108",
        f"'{name}' is not an embedded resource in this request",
        hint=f"Verify that '{name}' is included in the 'select' query parameter.",
    )


def spread_not_to_one(origin: str, target: str) -> GatewayError:
    """PostgREST 12's answer to a spread over a to-many relationship (13 spreads those into arrays)."""
    return GatewayError(
        400,
        "PGRST119",
        f"A spread operation on '{target}' is not possible",
        f"'{origin}' and '{target}' do not form a many-to-one or one-to-one relationship",
    )


def related_order_not_to_one(origin: str, target: str) -> GatewayError:
    return GatewayError(
        400,
        "PGRST118",
        f"A related order on '{target}' is not possible",
        f"'{origin}' and '{target}' do not form a many-to-one or one-to-one relationship",
    )
