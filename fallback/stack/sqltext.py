"""Where in a SQL file a statement starts, and on which line PostgreSQL's error position falls.

A migration file runs as PostgreSQL parses it (one simple-protocol query, in one transaction): the
statements below are never what runs, only how an error with no position of its own (`relation "x"
does not exist` in an ALTER TABLE, an extension that is not installed) is traced back to its line, by
replaying the file one statement at a time inside a transaction that is rolled back.

The splitter knows what PostgreSQL's lexer knows about semicolons that do not end a statement: inside
'strings' (E'' with backslash escapes), "identifiers", $tag$ bodies $tag$, -- and nested /* comments */,
and a `BEGIN ATOMIC ... END` function body. Hand-written: sqlparse, the usual library, is not a dependency
and its splitter knows no `BEGIN ATOMIC`; an imperfect split only costs a less precise line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Statement", "line_of", "split_statements"]

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9$]*")
_ATOMIC = re.compile(r"\bBEGIN\s+ATOMIC\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    text: str
    offset: int
    """Where it starts in the file's text (0-based characters, leading blanks and comments skipped)."""


def line_of(text: str, offset: int) -> int:
    """The 1-based line of the 0-based character `offset` in `text`."""
    return text.count("\n", 0, max(0, min(offset, len(text)))) + 1


def _skip_blank(text: str, i: int) -> int:
    """Past whitespace and comments from `i`."""
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i):
            i = _end_of_block_comment(text, i)
        else:
            break
    return i


def _end_of_block_comment(text: str, i: int) -> int:
    depth = 0
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return i


def _end_of_quoted(text: str, i: int, quote: str, backslash: bool) -> int:
    i += 1
    while i < len(text):
        if backslash and text[i] == "\\":
            i += 2
        elif text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return i


def split_statements(text: str) -> list[Statement]:
    """The file's statements in order (empty ones dropped), each with the offset where it starts."""
    statements: list[Statement] = []
    start = _skip_blank(text, 0)
    i, atomic_depth = start, 0
    while i < len(text):
        char = text[i]
        if text.startswith("--", i) or text.startswith("/*", i):
            i = _skip_blank(text, i)
        elif char == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            i = _end_of_quoted(text, i, "'", escapes)
        elif char == '"':
            i = _end_of_quoted(text, i, '"', False)
        elif char == "$" and (match := _DOLLAR_TAG.match(text, i)) and not (i > 0 and _is_word_char(text[i - 1])):
            end = text.find(match.group(0), match.end())
            i = len(text) if end < 0 else end + len(match.group(0))
        elif _is_word_start(text, i) and (word := _WORD.match(text, i)):
            upper = word.group(0).upper()
            if atomic_depth == 0 and upper == "ATOMIC" and _ATOMIC.search(text, start, word.end()):
                atomic_depth = 1
            elif atomic_depth and upper in ("BEGIN", "CASE"):
                atomic_depth += 1
            elif atomic_depth and upper == "END":
                atomic_depth -= 1
            i = word.end()
        elif char == ";" and atomic_depth == 0:
            if text[start:i].strip():
                statements.append(Statement(text[start : i + 1], start))
            start = i = _skip_blank(text, i + 1)
        else:
            i += 1
    if text[start:].strip():
        statements.append(Statement(text[start:], start))
    return statements


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _is_word_start(text: str, i: int) -> bool:
    return (text[i].isalpha() or text[i] == "_") and not (i > 0 and _is_word_char(text[i - 1]))
