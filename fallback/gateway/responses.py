"""Status, `Content-Range`, `Location` and `Preference-Applied` of a mutation, as PostgREST 12.2's
`Response.actionResponse` computes them (pure).

    POST    201 (200 when `resolution=merge-duplicates` inserted nothing); Content-Range `*/<count or *>`;
            `Location` under `return=headers-only` when exactly one row was inserted
    PATCH   200 with a representation, else 204; Content-Range `<0-(n-1) or *>/<count or *>`
    DELETE  200 with a representation, else 204; Content-Range `*/<count or *>`
    PUT     201 or 200 (inserted or updated) with a representation, else 204; no Content-Range
"""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import quote

from . import errors
from .prefer import Preferences
from .transaction import Outcome

Mutation = Literal["insert", "update", "delete", "upsert"]


def counts(prefer: Preferences) -> bool:
    """PostgREST's `shouldCount`: a mutation reports its count for `exact` and `estimated`, not `planned`."""
    return prefer.count in ("exact", "estimated")


def content_range(lower: int, upper: int, total: int | None) -> str:
    """PostgREST's `contentRangeH`."""
    span = f"{lower}-{upper}" if total != 0 and lower <= upper else "*"
    return f"{span}/{'*' if total is None else total}"


def check_max_affected(prefer: Preferences, outcome: Outcome) -> None:
    """PGRST124 when `handling=strict, max-affected=N` and the statement changed more than N rows."""
    if prefer.strict and prefer.max_affected is not None and outcome.page_total > prefer.max_affected:
        raise errors.GatewayError(
            400,
            "PGRST124",
            "Query result exceeds max-affected preference constraint",
            f"The query affects {outcome.page_total} rows",
        )


def location(table: str, outcome: Outcome) -> str | None:
    """`Location: /table?pk=eq.value` (values as `json_each_text` prints them, `is.null` for NULL)."""
    if outcome.location is None:
        return None
    keys: dict[str, object] = json.loads(outcome.location)
    parts = []
    for key, value in keys.items():
        if value is None:
            text = "is.null"
        elif isinstance(value, str):
            text = "eq." + value
        else:
            text = "eq." + json.dumps(value, separators=(",", ":"))
        parts.append(f"{quote(key, safe='')}={quote(text, safe='')}")
    return f"/{table}?" + "&".join(parts)


def mutation_headers(
    kind: Mutation, prefer: Preferences, outcome: Outcome, *, resolution_applies: bool
) -> dict[str, str]:
    """Headers of a mutation's response (without Content-Type)."""
    total = outcome.page_total if counts(prefer) else None
    headers: dict[str, str] = {}
    if kind == "insert":
        headers["Content-Range"] = content_range(1, 0, total)
        applied = prefer.applied(return_=True, count=True, insert=True, resolution=resolution_applies)
    elif kind == "update":
        headers["Content-Range"] = content_range(0, outcome.page_total - 1, total)
        applied = prefer.applied(return_=True, count=True, missing=True, max_affected=True)
    elif kind == "delete":
        headers["Content-Range"] = content_range(1, 0, total)
        applied = prefer.applied(return_=True, count=True, max_affected=True)
    else:
        applied = prefer.applied(return_=True, count=True)
    if applied:
        headers["Preference-Applied"] = applied
    return headers


def mutation_status(kind: Mutation, prefer: Preferences, outcome: Outcome) -> int:
    representation = prefer.return_ == "representation"
    if kind == "insert":
        merged_only = prefer.resolution == "merge-duplicates" and (outcome.inserted or 0) <= 0
        return 200 if merged_only and outcome.inserted is not None else 201
    if kind == "upsert":
        if not representation:
            return 204
        return 201 if (outcome.inserted or 0) > 0 else 200
    return 200 if representation else 204
