"""Single-column CHECK constraints the row generator honours, parsed from `pg_get_constraintdef`.

Understood (each conjunct of an `AND`, PostgreSQL's casts and parentheses removed):

    col >= 0, col > 0, col < 100, col <= 1e6, 0 < col     bounds on a number
    col BETWEEN a AND b                                   (printed `col >= a AND col <= b`)
    col IN ('a', 'b'), col = 'a'                          (printed `col = ANY (ARRAY[...])`)
    length(col) <= n, char_length(col) > 0                bounds on a text's length
    col <> ''                                             a non-empty text; `col <> v` excludes v
    col IS NOT NULL

Anything else (`OR`, regular expressions and `LIKE`, functions of the column other than its length,
comparisons with other columns or with `now()`) is kept in `Bounds.unsupported`: the generator does
not honour it, so an insert may break it (the seed then fails with PostgreSQL's message naming the
constraint). Multi-column CHECKs are not in the schema model at all and are not honoured either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

__all__ = ["Bounds", "parse_checks"]


@dataclass(frozen=True)
class Bounds:
    low: Decimal | None = None
    low_open: bool = False
    high: Decimal | None = None
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    """The only values allowed (their text, as the CHECK wrote them)."""
    excluded: tuple[str, ...] = ()
    min_length: int = 0
    max_length: int | None = None
    not_null: bool = False
    unsupported: tuple[str, ...] = ()


_CAST = re.compile(
    r"::(?:character varying|double precision|bit varying|(?:timestamp|time) with(?:out)? time zone"
    r"|\"[^\"]+\"|[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?",
    re.IGNORECASE,
)
_PAREN_NUMBER = re.compile(r"\((-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\)", re.IGNORECASE)
_IDENT = r'(?:"[^"]+"|[a-z_][a-z0-9_$]*)'
_LITERAL = r"(?:-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|'(?:[^']|'')*')"
_COMPARE = re.compile(rf"^({_IDENT})\s*(>=|<=|<>|!=|=|>|<)\s*({_LITERAL})$", re.IGNORECASE)
_COMPARE_REVERSED = re.compile(rf"^({_LITERAL})\s*(>=|<=|<>|!=|=|>|<)\s*({_IDENT})$", re.IGNORECASE)
_ANY = re.compile(rf"^({_IDENT})\s*=\s*ANY\s*\(\s*\(?ARRAY\[(.*)\]\)?\s*\)$", re.IGNORECASE)
_LENGTH = re.compile(
    rf"^(?:length|char_length|character_length)\(({_IDENT})\)\s*(>=|<=|<>|!=|=|>|<)\s*(\d+)$", re.IGNORECASE
)
_PAREN_IDENT = re.compile(rf"(?<![\w$])\(({_IDENT})\)")
_NOT_NULL = re.compile(rf"^({_IDENT})\s+IS\s+NOT\s+NULL$", re.IGNORECASE)
_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "=": "=", "<>": "<>", "!=": "!="}


def _unwrap(text: str) -> str:
    """Strip parentheses that enclose the whole text (only when they match each other)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for index, char in enumerate(text):
            depth += char == "("
            depth -= char == ")"
            if depth == 0 and index < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def _split_and(text: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    upper = text.upper()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif not quoted and depth == 0 and upper.startswith(" AND ", index):
            parts.append(text[start:index])
            start = index + 5
            index += 4
        index += 1
    parts.append(text[start:])
    return [_unwrap(p) for p in parts]


def _literal(text: str) -> str:
    return text[1:-1].replace("''", "'") if text.startswith("'") else text


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(_literal(text))
    except InvalidOperation:
        return None


def _compare(bounds: Bounds, op: str, literal: str) -> Bounds | None:
    value, number = _literal(literal), _number(literal)
    if op == "=":
        return replace(bounds, choices=(value,))
    if op in ("<>", "!="):
        return (
            replace(bounds, min_length=max(bounds.min_length, 1))
            if value == ""
            else replace(bounds, excluded=(*bounds.excluded, value))
        )
    if number is None:
        return None
    if op in (">", ">="):
        if bounds.low is None or number >= bounds.low:
            return replace(bounds, low=number, low_open=op == ">")
        return bounds
    if bounds.high is None or number <= bounds.high:
        return replace(bounds, high=number, high_open=op == "<")
    return bounds


def _length(bounds: Bounds, op: str, n: int) -> Bounds | None:
    if op in (">", ">="):
        return replace(bounds, min_length=max(bounds.min_length, n + (op == ">")))
    if op in ("<", "<="):
        high = n - (op == "<")
        return replace(bounds, max_length=high if bounds.max_length is None else min(bounds.max_length, high))
    if op == "=":
        return replace(bounds, min_length=n, max_length=n)
    return replace(bounds, min_length=max(bounds.min_length, 1)) if n == 0 else None


def _conjunct(bounds: Bounds, text: str, column: str) -> Bounds | None:
    names = {column, f'"{column}"'}
    if (m := _NOT_NULL.match(text)) and m.group(1) in names:
        return replace(bounds, not_null=True)
    if (m := _COMPARE.match(text)) and m.group(1) in names:
        return _compare(bounds, m.group(2), m.group(3))
    if (m := _COMPARE_REVERSED.match(text)) and m.group(3) in names:
        return _compare(bounds, _FLIP[m.group(2)], m.group(1))
    if (m := _ANY.match(text)) and m.group(1) in names:
        items = re.findall(_LITERAL, m.group(2))
        return replace(bounds, choices=tuple(_literal(i) for i in items))
    if (m := _LENGTH.match(text)) and m.group(1) in names:
        return _length(bounds, m.group(2), int(m.group(3)))
    return None


def parse_checks(column: str, checks: tuple[str, ...]) -> Bounds:
    """What `checks` (as `pg_get_constraintdef` prints them) allow for `column`."""
    bounds = Bounds()
    for definition in checks:
        body = re.sub(r"\s+NOT VALID$", "", definition.strip(), flags=re.IGNORECASE)
        body = body[len("CHECK") :] if body.upper().startswith("CHECK") else body
        body = _CAST.sub("", body)
        for part in _split_and(_unwrap(body)):
            understood = _conjunct(bounds, _PAREN_IDENT.sub(r"\1", _PAREN_NUMBER.sub(r"\1", part)), column)
            if understood is None:
                bounds = replace(bounds, unsupported=(*bounds.unsupported, definition))
                break
            bounds = understood
    return bounds
