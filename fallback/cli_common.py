"""What every `fallback-harness` command shares: the console, the state-dir and base-port options, SIGTERM handling."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

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
