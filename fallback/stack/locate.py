"""A failed migration, told as `file:line: PostgreSQL's message`.

The line comes from PostgreSQL's error position when it gives one: a file runs as one simple-protocol
query, and PostgreSQL counts that position in characters from the start of the whole query, so from the
start of the file. An error inside a function body carries the body and a position in it instead.
Errors with no position at all (an ALTER TABLE of a missing table, an extension that is not installed)
are traced by replaying the file one statement at a time in a transaction that is rolled back.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import asyncpg

from fallback.stack.errors import ExtensionUnavailable, MigrationFailed
from fallback.stack.extensions import install_hint, missing_extension
from fallback.stack.sqltext import line_of, split_statements

__all__ = ["error_line", "failure"]

_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|END|ROLLBACK|START\s+TRANSACTION|ABORT)\b", re.IGNORECASE)


class _Located(Exception):
    def __init__(self, line: int | None) -> None:
        super().__init__(line)
        self.line = line


def _offset_in(text: str, exc: asyncpg.PostgresError) -> int | None:
    """The 0-based offset in `text` that the error points at, if it points anywhere."""
    position = getattr(exc, "position", None)
    if position:
        return int(position) - 1
    query, inner = getattr(exc, "internal_query", None), getattr(exc, "internal_position", None)
    if query and inner and (start := text.find(query)) >= 0:
        return start + int(inner) - 1
    return None


async def error_line(conn: asyncpg.Connection, text: str, exc: asyncpg.PostgresError) -> int | None:
    """The 1-based line of `text` where PostgreSQL's error `exc` arose (None when it cannot be told)."""
    offset = _offset_in(text, exc)
    if offset is not None:
        return line_of(text, offset)
    try:
        async with conn.transaction():
            for statement in split_statements(text):
                if _TRANSACTION_CONTROL.match(statement.text):
                    continue  # the file's own BEGIN/COMMIT must not commit the replay
                try:
                    await conn.execute(statement.text)
                except asyncpg.PostgresError as again:
                    inner = _offset_in(statement.text, again)
                    raise _Located(line_of(text, statement.offset + (inner or 0))) from again
            raise _Located(None)  # every statement passed alone: the error depends on how they ran together
    except _Located as located:
        return located.line


def _shown(path: Path) -> str:
    """The path relative to the working directory when it lies below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def failure(path: Path, line: int | None, exc: asyncpg.PostgresError, source: str, kind: str) -> MigrationFailed:
    """The error `stack up` reports for a failed file (ExtensionUnavailable for a missing extension)."""
    where = f"{_shown(path)}:{line}" if line is not None else _shown(path)
    message = f"{where}: {exc.message}"
    for label, value in (("DETAIL", exc.detail), ("HINT", exc.hint)):
        if value:
            message += f"\n  {label}: {value}"
    message += f"\n  ({kind} of source {source}; rolled back)"
    extension = missing_extension(exc.sqlstate, exc.message)
    if extension is not None:
        message += f"\n  {install_hint(extension)}"
        return ExtensionUnavailable(message, path=path, line=line, source=source, extension=extension)
    return MigrationFailed(message, path=path, line=line, source=source)
