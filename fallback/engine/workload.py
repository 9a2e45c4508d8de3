"""Running a scenario's workload against one client, recording every operation in a History.

Each operation is an `invoke` event, then exactly one completion: `ok`, `fail`, or
`indeterminate` (a write whose fate is unknown, including one the client did not finish
within the engine's own deadline: `hung`). The engine never trusts a client to return: every
call is bounded by `op_deadline_s`.

Conventions the checker relies on (see `fallback.history`): a create writes
`op_marker(op_id)` in the row's `email`; an update writes `op_token(op_id)` in a text field.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fallback.client.errors import ErrorKind
from fallback.client.protocol import FallbackClient
from fallback.client.results import Attempt, LoadResult, Resolution, UpdateResult, WriteResult
from fallback.history import Event, History, SourceCall, op_marker, op_token
from fallback.scenario import Group, Step, Workload

DEFAULT_OP_DEADLINE_S = 30.0
ACCOUNT_SIZES = (5000, 10000, 25000, 50000, 100000)


@dataclass
class RunState:
    """What the workload has learnt while running: rows it may update, the last load per table."""

    rows: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    last_load: dict[str, LoadResult] = field(default_factory=dict)
    creates_by_row: dict[str, Event] = field(default_factory=dict)


class WorkloadRunner:
    def __init__(
        self,
        client: FallbackClient,
        history: History,
        *,
        seed: int = 0,
        op_deadline_s: float = DEFAULT_OP_DEADLINE_S,
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.history = history
        self.rng = random.Random(seed)
        self.op_deadline_s = op_deadline_s
        self.clock = clock
        self.state = RunState()
        self._next_process = 0

    async def run(self, workload: Workload) -> None:
        items = [self._run_item(item) for item in workload.steps]
        if workload.parallel:
            await asyncio.gather(*items)
        else:
            for item in items:
                await item

    async def _run_item(self, item: Step | Group) -> None:
        if isinstance(item, Group):
            await asyncio.gather(*(self.run_step(step) for step in item.parallel))
        else:
            await self.run_step(item)

    async def run_step(self, step: Step) -> None:
        if step.op == "pause":
            await asyncio.sleep(step.duration or 0.0)
            return
        if step.op == "resolve_pending":
            await self.resolve_pending()
            return
        started = self.clock()
        issued = 0

        def next_slot() -> float | None:
            """The time the next op may start, or None when the step is done."""
            nonlocal issued
            if step.count is not None and issued >= step.count:
                return None
            slot = started + (issued / step.rate if step.rate else 0.0)
            if step.duration is not None and slot >= started + step.duration:
                return None
            if step.duration is not None and self.clock() >= started + step.duration:
                return None
            issued += 1
            return slot

        async def worker(process: int) -> None:
            while (slot := next_slot()) is not None:
                delay = slot - self.clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self.one_op(step, process)

        first = self._next_process
        self._next_process += step.concurrency
        await asyncio.gather(*(worker(first + n) for n in range(step.concurrency)))

    async def one_op(self, step: Step, process: int) -> None:
        operations: dict[str, Callable[[Step, int], Awaitable[None]]] = {
            "load": self._load,
            "create": self._create,
            "update": self._update,
            "assign_mt5": self._update,
        }
        await operations[step.op](step, process)

    async def _bounded(self, call: Awaitable[Any]) -> Any | None:
        """The client's answer, or None when it did not answer within the engine's deadline."""
        try:
            return await asyncio.wait_for(call, self.op_deadline_s)
        except TimeoutError:
            return None

    # --- load -------------------------------------------------------------------------------------
    async def _load(self, step: Step, process: int) -> None:
        invoke = self.history.invoke(
            process=process, client=self.client.name, op="load", table=step.table, time_s=self.clock()
        )
        result: LoadResult | None = await self._bounded(self.client.load(step.table))
        if result is None:
            self.history.complete(invoke, "fail", time_s=self.clock(), error="hung")
            return
        by_source: dict[str, list[str]] = {}
        for row in result.rows:
            by_source.setdefault(str(row.get("_db_source")), []).append(str(row.get("id")))
        ok = result.outcome == "ok"
        error = OpError(None) if ok else _load_error(result.attempts)
        self.history.complete(
            invoke,
            "ok" if ok else "fail",
            time_s=self.clock(),
            calls=_calls(result.attempts, ambiguous=False),
            rows_by_source={s: tuple(ids) for s, ids in by_source.items()},
            degraded=result.degraded,
            stale=result.stale,
            message="" if ok else result.error or "",
            error=error.kind,
            error_status=error.status,
            error_code=error.code,
        )
        self.state.last_load[step.table] = result
        if result.rows:
            self.state.rows[step.table] = list(result.rows)

    # --- create -----------------------------------------------------------------------------------
    def _new_row(self, table: str, op_id: int) -> dict[str, Any]:
        user_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if table == "profiles":
            return {"user_id": user_id, "email": op_marker(op_id), "full_name": f"Harness user {op_id}"}
        return {
            "user_id": user_id,
            "email": op_marker(op_id),
            "account_size": self.rng.choice(ACCOUNT_SIZES),
            "challenge_type": "CLASSIC 2-STEP",
        }

    async def _create(self, step: Step, process: int) -> None:
        op_id = self.history.new_op_id()
        row = self._new_row(step.table, op_id)
        invoke = self.history.append(
            Event(
                type="invoke",
                op_id=op_id,
                process=process,
                client=self.client.name,
                op="create",
                table=step.table,
                time_s=self.clock(),
                marker=row["email"],
            )
        )
        result: WriteResult | None = await self._bounded(self.client.create(step.table, row))
        if result is None:
            self.history.complete(invoke, "indeterminate", time_s=self.clock(), error="hung")
            return
        calls = _calls(result.attempts)
        if result.outcome == "ok":
            completion = self.history.complete(
                invoke, "ok", time_s=self.clock(), source=result.source, row_id=result.row_id, calls=calls
            )
            if result.row is not None and result.source is not None:
                tagged = {**result.row, "_db_source": result.source}
                self.state.rows.setdefault(step.table, []).append(tagged)
        elif result.outcome == "indeterminate":
            completion = self.history.complete(
                invoke,
                "indeterminate",
                time_s=self.clock(),
                source=result.pending_source,
                row_id=result.row_id,
                calls=calls,
                error="indeterminate",
            )
        else:
            completion = self.history.complete(
                invoke, "fail", time_s=self.clock(), row_id=result.row_id, calls=calls, error="all_failed"
            )
        if result.row_id:
            self.state.creates_by_row[result.row_id] = completion

    # --- update / assign_mt5 -----------------------------------------------------------------------
    async def _pick_row(self, step: Step, process: int) -> Mapping[str, Any] | None:
        rows = self.state.rows.get(step.table)
        if not rows:
            await self._load(step, process)
            rows = self.state.rows.get(step.table)
        if not rows:
            return None
        wanted = step.source
        candidates = [r for r in rows if wanted is None or r.get("_db_source") == wanted]
        return self.rng.choice(candidates) if candidates else None

    async def _update(self, step: Step, process: int) -> None:
        row = await self._pick_row(step, process)
        op_id = self.history.new_op_id()
        token = op_token(op_id)
        if step.op == "assign_mt5":
            changes: dict[str, str] = {"mt5_login": token, "mt5_password": "harness-secret", "mt5_server": "MT5-Live"}
        elif step.table == "profiles":
            changes = {"full_name": token}
        else:
            changes = {"status": token}
        invoke = self.history.append(
            Event(
                type="invoke",
                op_id=op_id,
                process=process,
                client=self.client.name,
                op="assign_mt5" if step.op == "assign_mt5" else "update",
                table=step.table,
                time_s=self.clock(),
                row_id=str(row.get("id")) if row else None,
                row_source=str(row.get("_db_source")) if row else None,
                changes={k: v for k, v in changes.items() if k != "mt5_password"},
            )
        )
        if row is None:
            self.history.complete(invoke, "fail", time_s=self.clock(), error="no_row")
            return
        call = (
            self.client.assign_mt5(row, changes["mt5_login"], changes["mt5_password"], changes["mt5_server"])
            if step.op == "assign_mt5"
            else self.client.update(row, changes, step.table)
        )
        result: UpdateResult | None = await self._bounded(call)
        if result is None:
            self.history.complete(invoke, "indeterminate", time_s=self.clock(), error="hung")
            return
        error = OpError(None)
        if result.outcome != "ok":
            last = result.attempts[-1] if result.attempts else None
            error = OpError("source_unavailable") if last is None else _error_of(last)
        self.history.complete(
            invoke,
            result.outcome,
            time_s=self.clock(),
            source=result.source,
            row_id=result.row_id,
            calls=_calls(result.attempts),
            error=error.kind,
            error_status=error.status,
            error_code=error.code,
        )

    # --- resolve_pending ----------------------------------------------------------------------------
    async def resolve_pending(self) -> None:
        resolutions: tuple[Resolution, ...] | None = await self._bounded(self.client.resolve_pending())
        for resolution in resolutions or ():
            origin = self.state.creates_by_row.get(resolution.pending.row_id)
            if origin is None:
                continue
            self.history.complete(
                origin,
                "resolve",
                time_s=self.clock(),
                outcome=resolution.outcome,
                source=resolution.source,
                row_id=resolution.pending.row_id,
                found_in=resolution.found_in,
                deleted_from=resolution.deleted_from,
            )


def _calls(attempts: Sequence[Attempt], ambiguous: bool = True) -> tuple[SourceCall, ...]:
    """The history's record of the client's attempts (loads keep no `ambiguous`: a read changes nothing)."""
    return tuple(
        SourceCall(
            source=a.source,
            kind=a.kind,
            status=a.status,
            code=a.code,
            latency_ms=a.latency_ms,
            ambiguous=a.ambiguous and ambiguous,
        )
        for a in attempts
    )


class OpError(NamedTuple):
    """How an operation ended, for its completion event (`kind` None: it did not fail)."""

    kind: ErrorKind | None
    status: int | None = None
    code: str | None = None


def _error_of(attempt: Attempt) -> OpError:
    """The error of an operation decided by this (failed) attempt."""
    return OpError("error" if attempt.kind == "ok" else attempt.kind, attempt.status, attempt.code)


def _load_error(attempts: Sequence[Attempt]) -> OpError:
    """A failed load (every source failed): their common failure, or `all_failed` when they differ."""
    failed = [a for a in attempts if not a.ok]
    if failed and len({(a.kind, a.status, a.code) for a in failed}) == 1:
        return _error_of(failed[0])
    if failed and len({a.kind for a in failed}) == 1:
        return _error_of(failed[0])._replace(status=None, code=None)
    return OpError("all_failed")
