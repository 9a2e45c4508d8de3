"""A fresh stack before each run: no toxics, every gateway ready, the tables emptied, reseeded and read back.

    schema, initial = await Fresh(state, toxiproxy, controls, reuse, times).start(seed, read=True)
    rows = await reseed_and_read(state, seed, tables, reuse)    # the reseed alone (and the tables read back)

What a Toxiproxy reset, `stack.wait_until_healthy`, `stack.reseed` and `read_tables` did one after the other, for
less per run:
- the stack is waited for (`until_healthy`, also after a run's faults) by polling every 20 ms (was 100 ms), and a
  gateway still sleeping in its reconnect backoff once the faults are undone is told to retry now (`nudge`);
- the reseed runs on the run's own event loop (before: a thread running a second loop), on one connection per
  source, and the initial tables are read on that same connection (one connect per source, not two);
- with a `Reuse` (the runs of one session on one stack: the explorer's `StackRunner`), each source's schema is
  introspected once, at the first reseed (about 50 ms a reseed before: migrations do not change while the stack
  runs), and the fault families undone before and after a run are only those the session applied
  (`FaultLedger`: its first reset, and the session's end, undo every family).

Nothing of a run's own state is reused: the client, its breakers, its cache and the tables are new for each.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from fallback.engine.liveness import ensure_alive
from fallback.engine.observe import Rows, read_tables
from fallback.engine.schema import run_schema, written_tables
from fallback.engine.steps import Step, StepTimes
from fallback.faults import Controls, FaultLedger, reset_all
from fallback.gateway import retry_now
from fallback.project import ProjectSchema, TableSchema
from fallback.stack import stack as stack_lib
from fallback.stack.errors import StackNotRunning
from fallback.stack.seed import Seed, seed_all
from fallback.stack.state import StackKind, StackState
from fallback.toxics import Toxiproxy

__all__ = ["HEALTH_POLL_S", "NUDGE_EVERY_S", "Fresh", "Reuse", "reseed_and_read", "until_healthy"]

CONNECT_TIMEOUT_S = 10.0
HEALTH_POLL_S = 0.02
"""How often `until_healthy` asks: a probe costs a few ms (every process alive, every gateway's `/ready`), so the
wait ends within 20 ms of the stack being ready (a gateway reconnecting after a fault, a restarted process)."""
NUDGE_EVERY_S = 0.25
"""How often a wait that may (`nudge`) tells the gateways to stop their reconnect backoff."""


@dataclass
class Reuse:
    """What the runs of one session on one stack share; none of it is a run's own state."""

    ledger: FaultLedger = field(default_factory=FaultLedger)
    """The fault families the session's runs applied (see `FaultLedger`)."""
    schemas: dict[str, ProjectSchema] = field(default_factory=dict)
    """Each source's schema by DSN, introspected at the first reseed."""


@dataclass(frozen=True)
class Fresh:
    """The start of a run on `state`: every fault undone, the stack healthy, the tables reseeded and read."""

    state: StackState
    toxiproxy: Toxiproxy | None
    controls: Controls | None
    reuse: Reuse | None
    times: StepTimes

    async def start(self, seed: Seed | None, *, read: bool) -> tuple[ProjectSchema, Rows | None]:
        """The run's schema (the tables with a primary key) and its initial tables (None: not `read`).

        In order: what earlier runs may have left on undone (every family, or the `reuse` ledger's; never on
        external projects: not ours), Toxiproxy reset, the stack healthy (not waited on for external
        projects), the tables emptied and reseeded (`seed`; never on external projects) and read back."""
        state, times, owned = self.state, self.times, self.state.kind is not StackKind.external
        if self.controls is not None and owned:
            reset = self.reuse.ledger.reset if self.reuse is not None else reset_all
            with times.timed(Step.reset):
                await asyncio.to_thread(reset, self.controls)
        with times.timed(Step.healthy):
            if self.toxiproxy is not None:
                await asyncio.to_thread(self.toxiproxy.reset)
            if owned:
                await until_healthy(state, nudge=True)  # every fault is undone: by the reset above
        with times.timed(Step.schema):
            schema = written_tables(await run_schema(state))
        tables = schema.tables if read else None
        if seed is not None and owned:
            with times.timed(Step.reseed):
                return schema, await reseed_and_read(state, seed, tables, self.reuse)
        if tables is None:
            return schema, None
        with times.timed(Step.read_initial):
            return schema, await read_tables(state, tables)


async def reseed_and_read(
    state: StackState, seed: Seed, tables: Sequence[TableSchema] | None, reuse: Reuse | None = None
) -> Rows | None:
    """Empty and reseed every source (`seed_all`), then read `tables` on the same connections (None: not read)."""
    names = [s.name for s in state.sources]
    opened = await asyncio.gather(
        *(asyncpg.connect(s.db_dsn, timeout=CONNECT_TIMEOUT_S) for s in state.sources), return_exceptions=True
    )
    connections = {name: conn for name, conn in zip(names, opened, strict=True) if isinstance(conn, asyncpg.Connection)}
    try:
        failed = next((error for error in opened if isinstance(error, BaseException)), None)
        if failed is not None:
            raise failed
        introspected = reuse.schemas if reuse is not None else None
        await seed_all(state.sources, seed, state.schemas, introspected=introspected, connections=connections)
        return None if tables is None else await read_tables(state, tables, connections=connections)
    finally:
        await asyncio.gather(*(conn.close() for conn in connections.values()), return_exceptions=True)


async def until_healthy(
    state: StackState, timeout_s: float = stack_lib.RECOVERY_TIMEOUT_S, *, nudge: bool = False
) -> None:
    """`stack.wait_until_healthy`, but a dead process ends the wait at once (`ProcessDied`: it would never end
    well), and polled every `HEALTH_POLL_S`.

    `nudge`: no fault is on any more (the caller undid them all), so a gateway still sleeping in its reconnect
    backoff may try again now: its `retry-now` file is touched every `NUDGE_EVERY_S` while the stack is not ready
    (`fallback.gateway.retry_now`; embedded stacks only: their gateways are ours)."""
    deadline = time.monotonic() + timeout_s
    nudged = 0.0
    while not await asyncio.to_thread(stack_lib.is_healthy, state):
        ensure_alive(state)
        now = time.monotonic()
        if now > deadline:
            raise StackNotRunning(f"the stack did not become healthy within {timeout_s:.0f} s")
        if nudge and state.kind is StackKind.embedded and now - nudged >= NUDGE_EVERY_S:
            nudged = now
            for source in state.sources:
                with contextlib.suppress(OSError):  # a source dir that is gone: that stack is being stopped
                    retry_now.nudge(Path(state.state_dir) / source.name / retry_now.RETRY_FILE)
        await asyncio.sleep(HEALTH_POLL_S)
