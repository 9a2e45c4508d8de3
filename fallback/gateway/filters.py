"""Filters: `col=[not.]op[(modifier)].value` and `or=(...)`/`and=(...)` trees (pure; names only, no SQL).

Every PostgREST 12.2 operator (`eq neq gt gte lt lte like ilike match imatch in is isdistinct fts plfts
phfts wfts cs cd ov sl sr nxl nxr adj`), `(any)`/`(all)` on PostgREST's quantifiable ones, `fts(language)`.
query.py re-exports these; sql.py turns them into SQL.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from . import errors
from .embed_select import split_top_level, unquote
from .limits import MAX_LOGIC_DEPTH

__all__ = [
    "FTS",
    "IS_VALUES",
    "OPERATORS",
    "QUANTIFIABLE",
    "Condition",
    "Filter",
    "Logic",
    "LogicOp",
    "Operator",
    "Quantifier",
    "parse_list",
    "parse_logic",
    "parse_operation",
]

Operator = Literal[
    "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "in", "is", "isdistinct",
    "fts", "plfts", "phfts", "wfts", "cs", "cd", "ov", "sl", "sr", "nxl", "nxr", "adj",
]  # fmt: skip
OPERATORS: frozenset[str] = frozenset(Operator.__args__)  # type: ignore[attr-defined]
QUANTIFIABLE: frozenset[str] = frozenset({"eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"})
"""PostgREST's `QuantOperator`s: these take `(any)` / `(all)` and a `{a,b}` array literal."""
FTS: frozenset[str] = frozenset({"fts", "plfts", "phfts", "wfts"})
Quantifier = Literal["any", "all"]
_OPERATION = re.compile(r"(\w+)(?:\(([^()]*)\))?")
IS_VALUES: frozenset[str] = frozenset({"null", "not_null", "true", "false", "unknown"})
LogicOp = Literal["and", "or"]
_GROUP = re.compile(r"\s*(not\.)?(and|or)\s*\(")


@dataclass(frozen=True)
class Filter:
    column: str
    op: Operator
    value: str | tuple[str, ...]
    negated: bool = False
    quantifier: Quantifier | None = None
    """`eq(any).{1,2}`: compare with ANY/ALL of an array literal."""
    language: str | None = None
    """`fts(english).word`: the text search configuration."""


@dataclass(frozen=True)
class Logic:
    op: Literal["and", "or"]
    children: tuple[Condition, ...]
    negated: bool = False


Condition: TypeAlias = Filter | Logic


def parse_list(text: str) -> tuple[str, ...]:
    """`(a,b,"c,d")` → ("a", "b", "c,d")."""
    if not (text.startswith("(") and text.endswith(")")):
        raise errors.parse_error("failed to parse filter", f"expected a parenthesised list, got {text!r}")
    inner = text[1:-1]
    if inner.strip() == "":
        return ()
    return tuple(unquote(item.strip()) for item in split_top_level(inner))


def parse_operation(column: str, text: str) -> Filter:
    """`not.eq.5` / `in.(1,2)` / `is.null` / `eq(any).{1,2}` / `fts(english).cat` for `column`."""
    full, negated = text, False
    if text.startswith("not."):
        negated, text = True, text[4:]
    head, sep, value = text.partition(".")
    operation = _OPERATION.fullmatch(head)
    if not sep or operation is None or operation[1] not in OPERATORS:
        raise _operator_error(full, 5 if negated else 1)
    op, modifier = operation[1], operation[2]
    quantifier: Quantifier | None = None
    language: str | None = None
    if modifier is not None:
        if op in QUANTIFIABLE and modifier in ("any", "all"):
            quantifier = "any" if modifier == "any" else "all"
        elif op in FTS and modifier:
            language = modifier
        else:
            raise _operator_error(full, (5 if negated else 1) + len(op))
    if op == "in":
        return Filter(column, "in", parse_list(value), negated)
    if op == "is":
        if value.lower() not in IS_VALUES:
            raise errors.parse_error(
                f"failed to parse filter ({full})", "is. takes null, not_null, true, false, unknown"
            )
        return Filter(column, "is", value.lower(), negated)
    return Filter(column, op, value, negated, quantifier, language)  # type: ignore[arg-type]


def _operator_error(text: str, column: int) -> errors.GatewayError:
    """PostgREST's message for a filter without a known operator (QuerySpec "fails if an operator is not given")."""
    found = text[column - 1 : column]
    return errors.parse_error(
        f'"failed to parse filter ({text})" (line 1, column {column})',
        f'unexpected "{found}" expecting "not" or operator (eq, gt, ...)' if found else "unexpected end of input",
    )


def parse_logic(op: LogicOp, text: str, negated: bool = False) -> Logic:
    """`(a.eq.1,and(b.gt.2,c.is.null),not.or(...))` → a Logic tree, at most `MAX_LOGIC_DEPTH` groups deep.

    One pass over the text with an explicit stack of open groups: no recursion, time linear in the length."""

    def fail(details: str) -> errors.GatewayError:
        return errors.parse_error(f"failed to parse logic tree ({text})", details)

    if text.replace(" ", "") == "()":  # PostgREST's message, its column counted in `or(...)`
        prefix = ("not." if negated else "") + op
        raise errors.parse_error(
            f'"failed to parse logic tree ({text})" (line 1, column {len(prefix) + text.index(")") + 1})',
            'unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator '
            "(and, or)",
        )
    if not (text.startswith("(") and text.endswith(")")):
        raise fail("expected a non-empty (...) list")
    stack: list[tuple[LogicOp, bool, list[Condition]]] = [(op, negated, [])]
    i = 1
    while True:
        group = _GROUP.match(text, i)
        if group is not None:
            if len(stack) == MAX_LOGIC_DEPTH:
                raise fail(f"the tree nests more than {MAX_LOGIC_DEPTH} levels deep, the most this gateway accepts")
            if text.startswith(")", group.end()):
                raise fail("expected a non-empty (...) list")
            stack.append(("and" if group[2] == "and" else "or", group[1] is not None, []))
            i = group.end()
            continue
        end = _item_end(text, i)
        stack[-1][2].append(_logic_filter(text[i:end].strip(), fail))
        i = end
        while text[i : i + 1] != ",":  # close groups up to the next item
            if i >= len(text):
                raise fail("unbalanced parentheses")
            group_op, group_negated, children = stack.pop()
            node = Logic(group_op, tuple(children), group_negated)
            i += 1
            while text[i : i + 1].isspace():
                i += 1
            if not stack:
                if i != len(text):
                    raise fail("unexpected text after the closing parenthesis")
                return node
            stack[-1][2].append(node)
            if text[i : i + 1] not in (",", ")", ""):
                raise fail(f"unexpected {text[i]!r} after a closing parenthesis")
        i += 1


def _item_end(text: str, start: int) -> int:
    """Where the condition starting at `start` ends: its `,` or `)` (outside quotes and its own parentheses)."""
    depth = 0
    quoted = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if escaped:
            escaped = False
        elif quoted:
            escaped = char == "\\"
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char in "({":  # `in.(1,2)`, `cs.{1,2}`: commas inside are the value's
            depth += 1
        elif char in ")}":
            if depth == 0 and char == ")":
                return index
            depth = max(depth - 1, 0)  # a stray `}` in a value (`name.eq.a}b`) closes nothing
        elif char == "," and depth == 0:
            return index
    return len(text)


def _logic_filter(item: str, fail: Callable[[str], errors.GatewayError]) -> Filter:
    column, sep, rest = _split_column(item)
    if not sep:
        raise fail(f"bad condition {item!r}")
    filt = parse_operation(column, rest)
    if isinstance(filt.value, str):
        filt = dataclasses.replace(filt, value=unquote(filt.value))
    return filt


def _split_column(item: str) -> tuple[str, str, str]:
    if item.startswith('"'):
        end = item.find('"', 1)
        while end > 0 and item[end - 1] == "\\":
            end = item.find('"', end + 1)
        if end > 0 and item[end + 1 : end + 2] == ".":
            return unquote(item[: end + 1]), ".", item[end + 2 :]
    column, sep, rest = item.partition(".")
    return column, sep, rest
