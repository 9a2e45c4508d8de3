"""Casts in `select=col::type`: which text counts as a type name (pure).

PostgREST puts the cast into `CAST(... AS type)` unquoted; only text that can be nothing but a type
name may reach SQL that way.
"""

from __future__ import annotations

_CAST_CHARS = frozenset("0123456789_ $")
"""Besides letters: PostgREST's `pIdentifier` (QueryParams.hs), which its casts `::type` are made of."""
_TYPE_PHRASES = frozenset(
    {
        "double precision",
        "bit varying",
        "character varying",
        "char varying",
        "national character",
        "national char",
        "national character varying",
        "national char varying",
        "nchar varying",
        *(f"{kind} {zone} time zone" for kind in ("time", "timestamp") for zone in ("with", "without")),
        *(
            f"interval {field}"
            for field in (
                "year",
                "month",
                "day",
                "hour",
                "minute",
                "second",
                "year to month",
                "day to hour",
                "day to minute",
                "day to second",
                "hour to minute",
                "hour to second",
                "minute to second",
            )
        ),
    }
)
"""PostgreSQL's type names of more than one word (gram.y); one-word names are checked by PostgreSQL itself."""


def is_type_name(text: str) -> bool:
    """A cast's type: one name (`int4`, `my$type`), an SQL type phrase (`double precision`), optionally `array`.

    PostgREST's grammar for casts is letters, digits, `_`, `$` and spaces (its `pIdentifier`), put into
    `CAST(... AS name)` unquoted; PostgreSQL then rejects what is not a type (`text or 1` → 42601).
    This gateway refuses such text itself (400 PGRST100), so that only type names ever reach SQL: each
    word starts like an unquoted identifier (a `$` can never start a dollar quote or a parameter), and
    several words must be one of SQL's multi-word type names."""
    if not text or not all(char.isalpha() or char in _CAST_CHARS for char in text):
        return False
    words = text.lower().split()
    if not words or not all(word[0].isalpha() or word[0] == "_" for word in words):
        return False
    if len(words) > 1 and words[-1] == "array":
        words = words[:-1]
    return len(words) == 1 or " ".join(words) in _TYPE_PHRASES
