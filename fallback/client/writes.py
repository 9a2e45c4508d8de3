"""Idempotent write failover, and the resolution of writes whose fate is unknown.

Policy ("pin after ambiguity"), chosen so that a row never has two live copies:

1. The row carries its whole primary key before the first attempt (a one-column key the caller
   left out gets a uuid4), and every attempt is `upsert(row, on_conflict=<key columns>,
   ignore_duplicates=True)`: `INSERT ... ON CONFLICT (key) DO NOTHING`. Sending the same row to
   the same source twice leaves one row.
2. Sources are tried in priority order. A *definite* failure (refused, connect timeout,
   breaker open, an HTTP error answer: nothing committed) moves on to the next source.
3. An *ambiguous* failure on source S (read timeout, reset, our deadline after the request
   went out: it may have committed) pins the row to S. The client never writes it anywhere
   else, because S may already hold it. Instead, within the write budget, it probes S (select
   by id): found -> it landed in S; S answers "absent" -> the upsert is sent to S again (if the
   first one is still in flight, whichever commits second does nothing).
4. If S stays unreachable for the whole budget, the result is `indeterminate` and a
   `PendingWrite(table, id, S)` is recorded (in memory and in the SQLite cache).
   `resolve_pending()` probes again later: found in S -> settled; S answers "absent" -> the
   upsert is re-sent to S; S still down -> still pending. (These probes are asked for
   explicitly, so the reference client sends them even through an open breaker.) Should the id be found in more than
   one source (a row written by another client, or by an older run), the highest-priority
   copy is kept and the others are deleted, and the result says so.

Availability cost: while S hangs, creates in flight end `indeterminate` instead of failing over.
Once S's breaker opens (a few failures), new creates skip S (nothing is sent: a definite failure)
and go straight to the next source, so only the writes caught mid-outage wait for resolution.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fallback.client.keys import DEFAULT_KEY, RowKey, TableKey
from fallback.client.merge import SOURCE_TAG
from fallback.client.results import Attempt, PendingWrite, Resolution, Row, WriteResult


class WritableSource(Protocol):
    """What the write logic needs from a source (`fallback.client.source.Source` has it)."""

    name: str

    async def upsert(self, table: str, row: Row, key: TableKey = ...) -> tuple[Attempt, list[dict[str, Any]]]: ...
    async def probe(self, table: str, key: RowKey) -> tuple[Attempt, list[dict[str, Any]]]: ...
    async def delete(self, table: str, key: RowKey) -> tuple[Attempt, list[dict[str, Any]]]: ...


@dataclass(frozen=True)
class WritePolicy:
    budget: float = 6.0
    """Seconds one create may spend on probes after an ambiguous failure: a probe (or re-send) is
    started only if it can end within the budget even if it takes `call_time`."""
    probes: int = 3
    """Probe rounds on a source after an ambiguous failure there."""
    backoff: float = 0.1
    """Seconds before the first probe, doubled before each next one."""
    call_time: float = 0.0
    """Worst-case duration of one call: the reference client sets it to its `Deadline.total`."""
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    wall_clock: Callable[[], float] = field(default=time.time, repr=False)


def prepare(row: Row, key: TableKey = DEFAULT_KEY) -> dict[str, Any]:
    """The row as it will be written: with its whole key, without our source tag.

    A one-column key the caller left out is generated here (a uuid4: the spec's `id`); a composite
    key must come with the row (the harness generates every key column), else `RoutingError`."""
    body = {k: v for k, v in row.items() if k != SOURCE_TAG}
    if len(key.columns) == 1 and body.get(key.columns[0]) is None:
        body[key.columns[0]] = str(uuid.uuid4())
    key.of(body)  # every key column present
    return body


def _tagged(row: Row | None, source: str) -> Row | None:
    return None if row is None else {**row, SOURCE_TAG: source}


async def create(
    sources: Sequence[WritableSource],
    table: str,
    row: Row,
    policy: WritePolicy | None = None,
    key: TableKey = DEFAULT_KEY,
) -> WriteResult:
    policy = policy or WritePolicy()
    body = prepare(row, key)
    row_key = key.of(body)
    row_id = row_key.text
    start = policy.clock()
    attempts: list[Attempt] = []

    def result(outcome: str, source: WritableSource | None, written: Row | None = None) -> WriteResult:
        pending = None
        if outcome == "indeterminate" and source is not None:
            pending = PendingWrite(table, row_id, source.name, body, policy.wall_clock())
        return WriteResult(
            table,
            row_id,
            source.name if source is not None and outcome == "ok" else None,
            "ok" if outcome == "ok" else "indeterminate" if outcome == "indeterminate" else "fail",
            tuple(attempts),
            (policy.clock() - start) * 1000,
            _tagged(written, source.name) if source is not None else None,
            pending,
        )

    for source in sources:
        attempt, rows = await source.upsert(table, body, key)
        attempts.append(attempt)
        if attempt.ok:
            return result("ok", source, rows[0] if rows else body)
        if not attempt.ambiguous:
            continue
        settled, written = await _settle(source, table, body, key, policy, start, attempts)
        return result("ok" if settled else "indeterminate", source, written)
    return result("fail", None)


async def _settle(
    source: WritableSource,
    table: str,
    body: Row,
    key: TableKey,
    policy: WritePolicy,
    start: float,
    attempts: list[Attempt],
) -> tuple[bool, Row | None]:
    """After an ambiguous write on `source`: find the row there, or put it there. Never elsewhere."""
    row_key = key.of(body)
    delay = policy.backoff
    for _ in range(policy.probes):
        if policy.clock() - start + delay + policy.call_time > policy.budget:
            break
        await policy.sleep(delay)
        delay *= 2
        probe, found = await source.probe(table, row_key)
        attempts.append(probe)
        if probe.ok and found:
            return True, found[0]
        if not probe.ok:
            continue
        if policy.clock() - start + policy.call_time > policy.budget:
            break
        again, rows = await source.upsert(table, body, key)
        attempts.append(again)
        if again.ok:
            return True, rows[0] if rows else body
    return False, None


async def resolve(sources: Sequence[WritableSource], pending: PendingWrite, key: TableKey = DEFAULT_KEY) -> Resolution:
    """Find where a pending row is; leave exactly one copy, or say it is still unknown."""
    owner = next((s for s in sources if s.name == pending.source), None)
    if owner is None:
        return Resolution(pending, "indeterminate", None)
    row_key = key.of(pending.row)
    probes = await asyncio.gather(*(s.probe(pending.table, row_key) for s in sources))
    attempts = [a for a, _ in probes]
    found_in = tuple(s.name for s, (a, rows) in zip(sources, probes, strict=True) if a.ok and rows)
    owner_probe = probes[sources.index(owner)][0]
    if not found_in:
        if not owner_probe.ok:
            return Resolution(pending, "indeterminate", None, attempts=tuple(attempts))
        again, _ = await owner.upsert(pending.table, pending.row, key)
        attempts.append(again)
        return Resolution(
            pending, "ok" if again.ok else "indeterminate", owner.name if again.ok else None, attempts=tuple(attempts)
        )
    keep, extra = found_in[0], found_in[1:]
    deleted: list[str] = []
    for source in sources:
        if source.name in extra:
            attempt, _ = await source.delete(pending.table, row_key)
            attempts.append(attempt)
            if attempt.ok:
                deleted.append(source.name)
    settled = len(deleted) == len(extra) and (owner_probe.ok or keep == owner.name)
    return Resolution(
        pending,
        "ok" if settled else "indeterminate",
        keep if settled else None,
        found_in,
        tuple(deleted),
        tuple(attempts),
    )
