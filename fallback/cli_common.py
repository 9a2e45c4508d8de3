"""What every `fallback-harness` command shares: the console, the state-dir and base-port options, SIGTERM
handling, and the checks of options that must fail before anything starts (durations, counts, client names)."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shlex
import shutil
import signal
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from fallback.adapters.loader import BUILTIN, factory_problem
from fallback.scenario import parse_duration
from fallback.scenario.limits import MAX_OP_DEADLINE_S
from fallback.stack.ports import check_base_port
from fallback.stack.seed import SPEC_SEED

console = Console(stderr=True, soft_wrap=True)
StateDir = Annotated[
    Path, typer.Option("--state-dir", envvar="FALLBACK_STATE_DIR", help="Where the stack keeps its state.")
]
SEEDS = {"spec": SPEC_SEED, "none": None}


def _base_port(value: int) -> int:
    try:
        return check_base_port(value)
    except ValueError as exc:  # typer prints it as a usage error and exits 2, before anything starts
        raise typer.BadParameter(str(exc)) from exc


BasePort = Annotated[
    int,
    typer.Option("--base-port", callback=_base_port, help="First port of the stack's layout (base..base+99)."),
]
"""`--base-port`, checked before anything starts; give it DEFAULT_BASE_PORT (25400) as its default."""


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks stop what we started."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


@dataclass(frozen=True)
class Seconds:
    """A duration option's parser (`10s`, `500ms`, `1m`, or a plain number of seconds), > 0, at most `maximum`.

    Given to typer as `parser=`, so every command parses alike and a bad value exits 2 with
    `Invalid value for '--op-deadline': must be > 0 seconds, got '0s'`.
    """

    maximum: float

    def __call__(self, value: str | float) -> float:
        """`value` as typed, or a command's default (already a number of seconds)."""
        try:
            plain = not isinstance(value, str) or _PLAIN_NUMBER.match(value)
            seconds = float(value) if plain else parse_duration(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if not math.isfinite(seconds) or seconds <= 0:
            raise typer.BadParameter(f"must be > 0 seconds, got {value!r}")
        if seconds > self.maximum:
            raise typer.BadParameter(f"at most {self.maximum:g} s, got {value!r}")
        return seconds


_PLAIN_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(nan|inf|infinity)\s*$", re.I)
OP_DEADLINE = Seconds(MAX_OP_DEADLINE_S)
"""`--op-deadline` of `run` and `explore`."""


def at_least_one(value: int | None) -> int | None:
    """Callback for a count option (`--max-ops`, `--examples`): exit 2 unless it is absent or >= 1."""
    if value is not None and value < 1:
        raise typer.BadParameter(f"must be at least 1, got {value}")
    return value


_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
"""`package.module:factory`, or `module:Class.build` (as `fallback.adapters.loader` resolves them)."""
KNOWN_CLIENTS = "reference, spec, both, package.module:factory, or --client-cmd / cmd:<command>"


_SHELL_WORDS = frozenset({"exec", "env", "cd", ".", "source", "(", "{", "nice", "time", "timeout", "nohup"})
"""Shell words that run another program: the program they run is not checked."""
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")


def command_problem(command: str) -> str | None:
    """Why the shell command of a `cmd:` client (`--client-cmd`) cannot start, checked before anything
    starts: its program is neither on PATH nor an executable file (relative to the working directory)."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return f"client command {command!r}: cannot parse it as a shell command: {exc}"
    program = next((w for w in words if not _ASSIGNMENT.match(w)), None)
    if program is None or program in _SHELL_WORDS:
        return None
    if "/" in program:
        path = Path(program)
        if not path.is_file():
            return f"client command {command!r}: {program} does not exist (relative to {os.getcwd()})"
        if not os.access(path, os.X_OK):
            return (
                f"client command {command!r}: {program} is not executable (chmod +x {program}, or name its interpreter)"
            )
        return None
    if shutil.which(program) is None:
        return f"client command {command!r}: {program!r} is not on PATH (install it, or give its full path)"
    return None


def client_problem(name: str) -> str | None:
    """Why `--client name` (or a scenario's `client:`) cannot be used, checked before anything starts.

    An import path's module must be importable from here (the working directory included, as
    `fallback.adapters.loader` imports it) and hold a callable of that name; the client itself is
    built later, per run.
    """
    if name in ("reference", "spec", "both", *BUILTIN):
        return None
    if name.startswith("cmd:") and name[4:].strip():
        return command_problem(name[4:].strip())
    module, _, attr = name.partition(":")
    if not attr or not _IMPORT_PATH.match(name):
        return f"unknown client {name!r} (known: {KNOWN_CLIENTS})"
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return f"client {name!r}: cannot import {module!r}: {exc}"
    if found is None:
        return f"client {name!r}: no module named {module!r} (known: {KNOWN_CLIENTS})"
    return factory_problem(name)  # a missing factory: a traceback after the stack started, before this check


def check_clients(names: Iterable[str]) -> None:
    """Exit 2, naming the known clients, if any of `names` cannot be used."""
    problems = [p for p in dict.fromkeys(client_problem(name) for name in names) if p]
    if problems:
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
        raise typer.Exit(2)
