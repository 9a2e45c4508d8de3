"""The workload runner against an in-memory client: pacing, counts, concurrency, the engine's own
deadline, and the markers the checker relies on. (The client is a test double of the *client*;
the engine code under test is real.)"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Any

from fallback.client.results import Attempt, LoadResult, Resolution, Row, UpdateResult, WriteResult
from fallback.engine.workload import WorkloadRunner
from fallback.history import History, marker_op_id
from fallback.scenario import Step, Workload


class MemoryClient:
    """Rows in dicts per source; `hang` makes create never answer."""

    name = "memory"

    def __init__(self, hang: bool = False) -> None:
        self.rows: dict[str, dict[str, dict[str, Any]]] = {"PRIMARY": {}, "BOLT": {"b1": {"id": "b1"}}}
        self.hang = hang
        self.updates: list[tuple[str, Mapping[str, Any]]] = []

    async def load(self, table: str) -> LoadResult:
        rows = tuple({**r, "_db_source": s} for s, rs in self.rows.items() for r in rs.values())
        attempts = tuple(Attempt(source=s, op="select", kind="ok", latency_ms=1.0) for s in self.rows)
        return LoadResult(table=table, rows=rows, attempts=attempts, latency_ms=1.0)

    async def create(self, table: str, row: Row) -> WriteResult:
        if self.hang:
            await asyncio.sleep(60)
        row_id = str(uuid.uuid4())
        self.rows["PRIMARY"][row_id] = {**row, "id": row_id}
        attempt = Attempt(source="PRIMARY", op="upsert", kind="ok", latency_ms=1.0, row_id=row_id)
        return WriteResult(table, row_id, "PRIMARY", "ok", (attempt,), 1.0, row={**row, "id": row_id})

    async def update(self, row: Row, changes: Mapping[str, Any], table: str = "user_challenges") -> UpdateResult:
        self.updates.append((str(row["_db_source"]), changes))
        attempt = Attempt(source=str(row["_db_source"]), op="update", kind="ok", latency_ms=1.0)
        return UpdateResult(table, str(row["id"]), str(row["_db_source"]), "ok", (attempt,), 1.0)

    async def assign_mt5(self, row: Row, login: str, password: str, server: str) -> UpdateResult:
        return await self.update(row, {"mt5_login": login, "mt5_password": password, "mt5_server": server})

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        return ()

    def metrics(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        return None


def _run(client: MemoryClient, workload: Workload, deadline: float = 5.0) -> History:
    history = History()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        runner = WorkloadRunner(client, history, op_deadline_s=deadline, clock=lambda: loop.time() - t0)
        await runner.run(workload)

    asyncio.run(main())
    return history


def test_count_steps_record_invoke_and_completion_with_markers() -> None:
    client = MemoryClient()
    history = _run(client, Workload(steps=(Step(op="create", count=3, concurrency=2), Step(op="load", count=1))))
    creates = history.operations()
    assert [op.op for op in creates] == ["create", "create", "create", "load"]
    assert all(op.outcome == "ok" for op in creates)
    # every created row carries its op's marker: the checker maps rows back to operations by it
    markers = {marker_op_id(r["email"]) for r in client.rows["PRIMARY"].values()}
    assert markers == {op.op_id for op in creates[:3]}
    assert {op.invoke.process for op in creates[:3]} == {0, 1}


def test_rate_paces_operations_over_the_duration() -> None:
    started = time.monotonic()
    history = _run(MemoryClient(), Workload(steps=(Step(op="load", rate=20, duration=0.5, concurrency=2),)))
    elapsed = time.monotonic() - started
    loads = history.operations()
    assert 9 <= len(loads) <= 11, len(loads)  # 20/s for 0.5 s
    assert 0.4 <= elapsed < 1.5
    starts = sorted(op.invoke.time_s for op in loads)
    assert starts[-1] >= 0.4  # spread over the duration, not all at once


def test_updates_pick_a_row_of_the_named_source() -> None:
    client = MemoryClient()
    history = _run(client, Workload(steps=(Step(op="assign_mt5", count=2, source="BOLT"),)))
    ops = history.operations()
    assert [op.op for op in ops] == ["load", "assign_mt5", "assign_mt5"]  # a load first, to learn the rows
    assert [source for source, _ in client.updates] == ["BOLT", "BOLT"]
    assert all(op.invoke.row_source == "BOLT" and op.invoke.changes["mt5_login"] == f"op-{op.op_id}"
               for op in ops[1:])  # fmt: skip


def test_a_client_that_never_answers_is_recorded_as_hung() -> None:
    started = time.monotonic()
    history = _run(MemoryClient(hang=True), Workload(steps=(Step(op="create", count=1),)), deadline=0.3)
    assert time.monotonic() - started < 2
    [op] = history.operations()
    assert op.outcome == "indeterminate" and op.completion is not None and op.completion.error == "hung"
