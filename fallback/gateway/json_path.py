"""JSON paths on columns: `data->a->>b`, `data->0`, `num->>i` in `select=`, filters and `order=` (pure).

PostgREST's grammar (QueryParams.hs `pFieldName`/`pJsonPath`): a column name, then steps `->operand` or
`->>operand`; an operand that is a well-formed integer (`0`, `-1`) is an array index, anything else a key
(`0xy1`, `23-xy-45`, `!@#$%^&*_d`). A key in the SQL is a string literal of type unknown, as PostgREST
sends it (so PostgreSQL's own errors, e.g. `operator does not exist: text -> unknown`, come out the same);
it is written as an escape string `E'...'`, which reads the same whatever `standard_conforming_strings` is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from . import errors

__all__ = ["FieldRef", "JsonStep", "parse_field", "sql_path"]

Arrow = Literal["->", "->>"]
_STEP = re.compile(r"(->>|->)")
_INDEX = re.compile(r"-?\d+")
_RESERVED = frozenset(".,>()")


@dataclass(frozen=True)
class JsonStep:
    arrow: Arrow
    operand: str | int
    """A key (str) or an array index (int)."""


@dataclass(frozen=True)
class FieldRef:
    column: str
    path: tuple[JsonStep, ...] = ()

    @property
    def key(self) -> str:
        """The JSON key PostgREST gives the field in `select=`: its last key, else the column's name."""
        keys = [step.operand for step in self.path if isinstance(step.operand, str)]
        return keys[-1] if keys else self.column

    @property
    def is_text(self) -> bool:
        """`->>` last: the value is text (else json/jsonb)."""
        return bool(self.path) and self.path[-1].arrow == "->>"


def parse_field(text: str, context: str = "filter", offset: int = 0, whole: str | None = None) -> FieldRef:
    """`data->a->>0` → FieldRef("data", (->'a', ->>0)); text without an arrow is one column name.

    `context`, `whole` (the parameter's value) and `offset` (where `text` starts in it) shape PostgREST's
    PGRST100 message."""
    if text.startswith('"') and (end := _closing_quote(text)) > 0:  # `"a->b"->c`: a quoted name, then a path
        column, parts = re.sub(r"\\(.)", r"\1", text[1:end]), ["", *_STEP.split(text[end + 1 :])[1:]]
        offset += end + 1
    else:
        parts = _STEP.split(text)
        column = parts[0]
    if len(parts) == 1:
        return FieldRef(column)
    steps = []
    position = offset + len(parts[0])
    for arrow, operand in zip(parts[1::2], parts[2::2], strict=True):
        position += len(arrow)
        steps.append(JsonStep(arrow, _operand(operand, whole or text, context, position)))  # type: ignore[arg-type]
        position += len(operand)
    return FieldRef(column, tuple(steps))


def _closing_quote(text: str) -> int:
    """Index of the `"` that closes the quoted name at the start of `text` (backslash escapes), or -1."""
    index = 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index
        index += 1
    return -1


def _operand(operand: str, text: str, context: str, position: int) -> str | int:
    def fail(at: int, details: str) -> errors.GatewayError:
        return errors.parse_error(f'"failed to parse {context} ({text})" (line 1, column {at + 1})', details)

    if _INDEX.fullmatch(operand):
        return int(operand)
    if operand.startswith("-") and not operand[1:2].isdigit():
        found = operand[1:2] or "end of input"
        raise fail(position + 1, f'unexpected "{found}" expecting digit' if operand[1:2] else f"unexpected {found}")
    bad = next((i for i, char in enumerate(operand) if char in _RESERVED or char == "\x00"), None)
    if not operand or bad is not None:
        at = position + (bad or 0)
        found = f'"{operand[bad]}"' if bad is not None else "end of input"
        raise fail(
            at,
            f'unexpected {found} expecting "-", digit or any non reserved character different from: .,>()',
        )
    return operand


def _literal(key: str) -> str:
    return "E'" + key.replace("\\", "\\\\").replace("'", "''") + "'"


def sql_path(field: FieldRef) -> str:
    """`->E'a'->>0`: the SQL of the steps (keys as unknown-typed literals, indexes as integers)."""
    return "".join(
        f"{step.arrow}({step.operand})" if isinstance(step.operand, int) else f"{step.arrow}{_literal(step.operand)}"
        for step in field.path
    )
