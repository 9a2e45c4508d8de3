"""What every `fallback-harness` command shares: the console, the state-dir option, SIGTERM handling."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from fallback.stack.seed import SPEC_SEED

console = Console(stderr=True, soft_wrap=True)
StateDir = Annotated[
    Path, typer.Option("--state-dir", envvar="FALLBACK_STATE_DIR", help="Where the stack keeps its state.")
]
SEEDS = {"spec": SPEC_SEED, "none": None}


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks stop what we started."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
