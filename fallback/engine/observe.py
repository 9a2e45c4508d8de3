"""What a run observed, derived from the history and the databases (never from the client's
own account of itself, so every client is measured the same way): the run's clock, the client's
console lines, the tables, and the report record built from them (`client_run`)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from fallback.client.keys import key_text
from fallback.engine.spec_schema import SPEC_SCHEMA
from fallback.history import Event, History
from fallback.project import TableSchema
from fallback.report import ClientRun, FaultSpan, LatencyPoint
from fallback.stack.state import StackState

Rows = dict[str, dict[str, list[dict[str, Any]]]]
"""`{source: {table: [row, ...]}}`."""


async def read_tables(
    state: StackState,
    tables: Sequence[TableSchema] = SPEC_SCHEMA.tables,
    *,
    connections: Mapping[str, asyncpg.Connection] | None = None,
) -> Rows:
    """Every row of every table of every source, read straight from PostgreSQL (no client, no proxy),
    in primary-key order. `tables`: the project's (default: the spec's two); `connections`: open ones by
    source name, used and left open (`fallback.engine.fresh` reads on the connections it reseeded with)."""

    async def one(name: str, dsn: str) -> dict[str, list[dict[str, Any]]]:
        given = (connections or {}).get(name)
        conn = given if given is not None else await asyncpg.connect(dsn, timeout=10)
        try:
            result: dict[str, list[dict[str, Any]]] = {}
            for table in tables:
                order = " ORDER BY " + ", ".join(_ident(c) for c in table.primary_key) if table.primary_key else ""
                records = await conn.fetch(f"SELECT * FROM {_ident(table.schema_name)}.{_ident(table.name)}{order}")
                result[table.name] = [_plain(dict(r)) for r in records]
            return result
        finally:
            if given is None:
                await conn.close()

    async def none() -> dict[str, list[dict[str, Any]]]:
        return {table.name: [] for table in tables}

    # An external project given without a database DSN cannot be read: the checker then sees it empty.
    answers = await asyncio.gather(*(one(s.name, s.db_dsn) if s.db_dsn else none() for s in state.sources))
    return {s.name: answer for s, answer in zip(state.sources, answers, strict=True)}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """uuids, decimals and timestamps as the JSON a client would have seen."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or isinstance(value, bool | int | float | str):
            out[key] = value
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ids(rows: Rows, keys: Mapping[str, Sequence[str]] | None = None) -> dict[str, dict[str, list[str]]]:
    """Each row's primary key as text (`keys`: table -> key columns; `id` for a table not named)."""

    def key(table: str, row: Mapping[str, Any]) -> str:
        return key_text(row.get(c) for c in (keys or {}).get(table, ("id",)))

    return {
        source: {table: [key(table, r) for r in table_rows] for table, table_rows in tables.items()}
        for source, tables in rows.items()
    }


@dataclass(frozen=True)
class LatencySample:
    t_s: float
    op: str
    latency_ms: float
    outcome: str


@dataclass(frozen=True)
class Observation:
    """Everything the expectations and the report need from one client's run of one scenario."""

    history: History
    final: Rows
    logs: tuple[str, ...]
    sources: tuple[str, ...]
    completions: tuple[Event, ...] = field(init=False)

    def __post_init__(self) -> None:
        done = tuple(e for e in self.history.events if e.type in ("ok", "fail", "indeterminate"))
        object.__setattr__(self, "completions", done)

    def of_op(self, op: str) -> tuple[Event, ...]:
        """Completions of `op` (`load`, `call`, ...) or of a call's flow (`assign_mt5`)."""
        return tuple(e for e in self.completions if op in (e.op, e.name))

    def last_load(self) -> Event | None:
        loads = self.of_op("load")
        return loads[-1] if loads else None

    def samples(self) -> tuple[LatencySample, ...]:
        return tuple(LatencySample(e.time_s, e.name, e.latency_ms or 0.0, e.type) for e in self.completions)

    def source_success_rate(self) -> dict[str, float | None]:
        """Per source: calls that answered ok / calls made (breaker short-circuits count as not made)."""
        ok: Counter[str] = Counter()
        made: Counter[str] = Counter()
        for event in self.completions:
            for call in event.calls:
                if call.kind == "breaker_open":
                    continue
                made[call.source] += 1
                ok[call.source] += call.kind == "ok"
        return {s: (ok[s] / made[s] if made[s] else None) for s in self.sources}

    def fallback_frequency(self) -> dict[str, float | None]:
        """How often a source other than the first served: acked writes landing there, loads with it degraded."""
        writes = [e for e in self.of_op("create") if e.type == "ok" and e.source]
        loads = [e for e in self.of_op("load") if e.type == "ok"]
        primary = self.sources[0] if self.sources else ""
        result: dict[str, float | None] = {}
        for source in self.sources[1:]:
            result[f"writes_to_{source}"] = (sum(e.source == source for e in writes) / len(writes)) if writes else None
        result["loads_without_" + primary] = (
            sum(primary in e.failed_sources() or primary not in e.rows_by_source for e in loads) / len(loads)
            if loads
            else None
        )
        return result

    def distribution(self) -> dict[str, dict[str, int]]:
        """Rows per table per source at the end of the run."""
        return {source: {table: len(rows) for table, rows in tables.items()} for source, tables in self.final.items()}


def counts_of(event: Event) -> Mapping[str, int]:
    return {source: len(ids) for source, ids in event.rows_by_source.items()}


CLIENT_LOGGER = "fallback.client"


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def captured_client_logs() -> Iterator[list[str]]:
    """The client's console lines (logger `fallback.client` and its children) during the block."""
    logger = logging.getLogger(CLIENT_LOGGER)
    capture = _LogCapture()
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(capture)
    try:
        yield capture.lines
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous)


class Clock:
    """Seconds since the workload started (the time base of the history and the fault timeline)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()

    def start(self) -> float:
        self.t0 = self.loop.time()
        return self.t0

    def __call__(self) -> float:
        return self.loop.time() - self.t0


def client_run(client: str, seen: Observation, faults: Iterable[FaultSpan], **judged: Any) -> ClientRun:
    """The report record of one client's run: what was observed (latency, success rate per source,
    fallback frequency, data distribution, console), the fault windows, and `judged` (verdict,
    expectations, checker, ... as `ClientRun` names them). Scenario runs and drills both build it here."""
    return ClientRun(
        client=client,
        latency=tuple(
            LatencyPoint(t_offset_s=p.t_s, op=p.op, latency_ms=p.latency_ms, outcome=p.outcome) for p in seen.samples()
        ),
        faults=tuple(faults),
        success_rate=seen.source_success_rate(),
        fallback_frequency=seen.fallback_frequency(),
        distribution=seen.distribution(),
        logs=seen.logs,
        **judged,
    )
