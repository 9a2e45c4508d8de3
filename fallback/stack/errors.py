"""Errors the stack raises, each with a message that says what to do.

StackError
├── MissingBinary      a program we need is not installed (the message says how to install it)
├── PortInUse          a port of the layout is taken (the message names the port and the owner)
├── StartFailed        a service did not become ready (the message points at its log)
├── StackNotRunning    a command needs a running stack and there is none
├── StateDirInUse      another kind of stack runs in that state dir
└── MigrationFailed    the project's SQL does not load: bad input (exit 2), the message names file and line
    └── ExtensionUnavailable   a migration asks for an extension this machine lacks (the message says what to install)

`exit_code` is what a command exits with on the error: 1 (the stack failed), 2 (bad input).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar


class StackError(RuntimeError):
    """Base class: anything that stops the stack from coming up or going down."""

    exit_code: ClassVar[int] = 1


class MissingBinary(StackError):
    pass


class PortInUse(StackError):
    pass


class StartFailed(StackError):
    pass


class StackNotRunning(StackError):
    pass


class StateDirInUse(StackError):
    """Another kind of stack runs in the state dir (the message names it and how to stop it)."""


class MigrationFailed(StackError):
    """A migration or seed file of the project failed in a source: `file:line: PostgreSQL's message`."""

    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, path: Path, line: int | None, source: str) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.source = source


class ExtensionUnavailable(MigrationFailed):
    """A migration's `create extension` names one this machine's PostgreSQL does not have."""

    def __init__(self, message: str, *, path: Path, line: int | None, source: str, extension: str) -> None:
        super().__init__(message, path=path, line=line, source=source)
        self.extension = extension
