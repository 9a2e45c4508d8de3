"""A fresh stack before each run: no toxics, every gateway ready, the tables emptied, reseeded and read back.

    rows = await reseed_and_read(state, seed, tables, reuse)    # the initial tables (None: `tables` None)

What `stack.make_fresh` then `read_tables` did one after the other, for less per run:
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
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from fallback.engine.observe import Rows, read_tables
from fallback.faults import FaultLedger
from fallback.project import ProjectSchema, TableSchema
from fallback.stack.seed import Seed, seed_all
from fallback.stack.state import StackState

__all__ = ["Reuse", "reseed_and_read"]

CONNECT_TIMEOUT_S = 10.0


@dataclass
class Reuse:
    """What the runs of one session on one stack share; none of it is a run's own state."""

    ledger: FaultLedger = field(default_factory=FaultLedger)
    """The fault families the session's runs applied (see `FaultLedger`)."""
    schemas: dict[str, ProjectSchema] = field(default_factory=dict)
    """Each source's schema by DSN, introspected at the first reseed."""


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
