"""Errors the stack raises, each with a message that says what to do.

StackError
├── MissingBinary      a program we need is not installed (the message says how to install it)
├── PortInUse          a port of the layout is taken (the message names the port and the owner)
├── StartFailed        a service did not become ready (the message points at its log)
├── StackNotRunning    a command needs a running stack and there is none
└── StateDirInUse      another kind of stack runs in that state dir
"""

from __future__ import annotations


class StackError(RuntimeError):
    """Base class: anything that stops the stack from coming up or going down."""


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
