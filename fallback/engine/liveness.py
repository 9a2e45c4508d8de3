"""Noticing, within about a second, that a process of an embedded stack died during a run.

A `kill -9` of a gateway or a postmaster (or the OOM killer) leaves a stack that will never be
healthy again: waiting for it wastes the recovery timeout and then throws the run's history away.
`ProcessWatch` polls the state's process records (`fallback.stack.process.is_alive`: /proc, which
also tells a zombie and a recycled pid from our process) every 0.2 s while the workload runs; the
session stops the workload when it fires and reports the run as an `error` naming the process.
Compose and external stacks have no process records here: nothing to watch. A process a fault takes
down on purpose (`kill`, `restart`: its outage open in the shared `Outages`) is not a death, and the
records are read afresh from the state file, where a restart puts the new pid.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from fallback.faults import Outages
from fallback.stack import process
from fallback.stack.state import ProcessRecord, StackState

POLL_INTERVAL_S = 0.2


class ProcessDied(RuntimeError):
    """A process of the stack is dead: the run cannot start (or go on) on it."""


@dataclass(frozen=True)
class DeadProcess:
    role: str
    """As the state names it: `gateway:BOLT`, `postgres:PRIMARY`, `toxiproxy`."""
    pid: int
    at_s: float
    """When the watch noticed, on the run's clock (seconds since the workload started)."""

    def message(self) -> str:
        return f"{self.role} (pid {self.pid}) died at {self.at_s:.1f} s; history kept up to then"


def dead_processes(state: StackState) -> tuple[ProcessRecord, ...]:
    """The embedded stack's processes that are not running (none for compose and external stacks)."""
    if state.kind != "embedded":
        return ()
    return tuple(p for p in state.latest().processes if not process.is_alive(p))


def ensure_alive(state: StackState) -> None:
    """Fail at once, naming the dead, rather than wait for a stack that cannot become healthy."""
    dead = dead_processes(state)
    if dead:
        names = ", ".join(f"{p.role} (pid {p.pid})" for p in dead)
        raise ProcessDied(
            f"{names} of the stack in {state.state_dir} is not running: restart it "
            f"(`fallback-harness stack down --state-dir {state.state_dir}`, then `stack up`)"
        )


class ProcessWatch:
    """`start()` a polling task; `died` is set when the first process is found dead (`dead` says which)."""

    def __init__(
        self,
        state: StackState,
        clock: Callable[[], float],
        interval_s: float = POLL_INTERVAL_S,
        outages: Outages | None = None,
    ) -> None:
        self.state = state
        self.outages = outages or Outages()
        """What faults take down on purpose (`kill`, `restart`): not a death while their outage lasts."""
        self.clock = clock
        self.interval_s = interval_s
        self.died = asyncio.Event()
        self.dead: DeadProcess | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.state.kind == "embedded" and self.state.processes and self._task is None:
            self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        while True:
            excused = self.outages.excused()  # before the state file: a restart saves its pid, then ends the outage
            dead = [p for p in dead_processes(self.state) if (p.kind, p.source) not in excused]  # a few reads
            if dead:
                self.dead = DeadProcess(dead[0].role, dead[0].pid, self.clock())
                self.died.set()
                return
            await asyncio.sleep(self.interval_s)
