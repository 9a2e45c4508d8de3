"""Ctrl-C (SIGINT) and SIGTERM during a drill: what each one does, in each phase of the drill's life.

| phase      | first signal                                   | every later signal                        |
|------------|------------------------------------------------|-------------------------------------------|
| `starting` | KeyboardInterrupt: the stack start is aborted, | ignored, with the `stack down` hint:      |
|            | what it started is stopped                     | the cleanup already running finishes      |
| `traffic`  | `on_stop()`: traffic stops, toxics removed,    | second: `on_cancel()` (do not wait for    |
|            | report written                                 | in-flight calls); later: the hint         |
| `cleanup`  | ignored, with the hint                         | ignored, with the hint                    |

A signal never raises in `traffic` or `cleanup`: a KeyboardInterrupt landing inside the stack's own
shutdown (between two `kill`s, or inside `finally`) is what left processes running before. In
`traffic` the callbacks are handed to the event loop (`call_soon_threadsafe`), since a signal handler
may run between any two bytecodes of the loop itself. The hint names the exact command that stops
the stack the drill started, for when the user kills us anyway.

We use `signal.signal` rather than `loop.add_signal_handler` because the same policy must hold
outside the event loop too (the stack starts and stops in synchronous code).
"""

from __future__ import annotations

import shlex
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Phase(Enum):
    STARTING = "starting"
    TRAFFIC = "traffic"
    CLEANUP = "cleanup"


class Interrupts:
    """Counts interrupts and acts on them by phase (see the module's table)."""

    def __init__(self, state_dir: Path, say: Callable[[str], None]) -> None:
        self.state_dir = state_dir
        self.say = say
        self.count = 0
        self.phase = Phase.STARTING
        self._on_stop: Callable[[], object] | None = None
        self._on_cancel: Callable[[], object] | None = None

    @property
    def hint(self) -> str:
        return f"fallback-harness stack down --state-dir {shlex.quote(str(self.state_dir))}"

    def traffic(self, on_stop: Callable[[], object], on_cancel: Callable[[], object]) -> None:
        """Enter the traffic phase; a signal that came during the start already counts as the first."""
        self.phase, self._on_stop, self._on_cancel = Phase.TRAFFIC, on_stop, on_cancel
        if self.count:
            on_stop()

    def cleanup(self) -> None:
        self.phase, self._on_stop, self._on_cancel = Phase.CLEANUP, None, None

    def handle(self, signum: int, _frame: FrameType | None = None) -> None:
        self.count += 1
        if self.phase is Phase.STARTING and self.count == 1:
            self.say("interrupted: stopping what the drill started…")
            raise KeyboardInterrupt
        if self.phase is Phase.TRAFFIC and self.count == 1 and self._on_stop is not None:
            self.say(
                "stopping: removing toxics, finishing in-flight calls (Ctrl-C again: do not wait), writing the report…"
            )
            self._on_stop()
            return
        if self.phase is Phase.TRAFFIC and self.count == 2 and self._on_cancel is not None:
            self.say("cancelling: in-flight calls are cut off; toxics are still removed, the stack still stopped")
            self._on_cancel()
            return
        self.say(
            f"still cleaning up (stopping the stack, removing toxics); if you stop this process now, run: {self.hint}"
        )

    @contextmanager
    def installed(self, *, ignore_after: bool = False) -> Iterator[Interrupts]:
        """Handle the signals in the block; after it, the previous handlers, or none (`ignore_after`).

        `ignore_after` is for a command that exits right after the block: everything it started is
        stopped, so a late Ctrl-C has nothing left to interrupt, and must not kill the interpreter
        with a KeyboardInterrupt while it writes its last lines or shuts down."""
        previous = {sig: signal.signal(sig, self.handle) for sig in SIGNALS}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, signal.SIG_IGN if ignore_after else handler)
