"""The workload runner against an in-memory client: pacing, counts, concurrency, the engine's own
deadline, and the markers the checker relies on. (The client is a test double of the *client*;
the engine code under test is real.)"""

from __future__ import annotations

import asyncio
import time

from memory_client import MemoryClient

from fallback.client.errors import CallKind
from fallback.client.results import Attempt, LoadResult, Row, WriteResult
from fallback.engine.workload import WorkloadRunner
from fallback.history import History, marker_op_id
from fallback.scenario import Step, Workload


class HangingClient(MemoryClient):
    """A create that never answers."""

    async def create(self, table: str, row: Row) -> WriteResult:
        await asyncio.sleep(60)
        raise AssertionError("the engine's deadline should have cancelled this create")


def _client() -> MemoryClient:
    return MemoryClient({"PRIMARY": {}, "BOLT": {"user_challenges": [{"id": "b1"}]}})


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
    client = _client()
    history = _run(client, Workload(steps=(Step(op="create", count=3, concurrency=2), Step(op="load", count=1))))
    creates = history.operations()
    assert [op.op for op in creates] == ["create", "create", "create", "load"]
    assert all(op.outcome == "ok" for op in creates)
    # every created row carries its op's marker: the checker maps rows back to operations by it
    markers = {marker_op_id(r["email"]) for r in client.rows("PRIMARY")}
    assert markers == {op.op_id for op in creates[:3]}
    assert {op.invoke.process for op in creates[:3]} == {0, 1}


def test_rate_paces_operations_over_the_duration() -> None:
    started = time.monotonic()
    history = _run(_client(), Workload(steps=(Step(op="load", rate=20, duration=0.5, concurrency=2),)))
    elapsed = time.monotonic() - started
    loads = history.operations()
    assert 9 <= len(loads) <= 11, len(loads)  # 20/s for 0.5 s
    assert 0.4 <= elapsed < 1.5
    starts = sorted(op.invoke.time_s for op in loads)
    assert starts[-1] >= 0.4  # spread over the duration, not all at once


def test_updates_pick_a_row_of_the_named_source() -> None:
    client = _client()
    history = _run(client, Workload(steps=(Step(op="assign_mt5", count=2, source="BOLT"),)))
    ops = history.operations()
    assert [op.op for op in ops] == ["load", "assign_mt5", "assign_mt5"]  # a load first, to learn the rows
    assert [source for source, _ in client.updates] == ["BOLT", "BOLT"]
    assert all(op.invoke.row_source == "BOLT" and op.invoke.changes["mt5_login"] == f"op-{op.op_id}" for op in ops[1:])


def test_a_client_that_never_answers_is_recorded_as_hung() -> None:
    started = time.monotonic()
    history = _run(HangingClient(_client().db), Workload(steps=(Step(op="create", count=1),)), deadline=0.3)
    assert time.monotonic() - started < 2
    [op] = history.operations()
    assert op.outcome == "indeterminate" and op.completion is not None and op.completion.error == "hung"


class DownClient(MemoryClient):
    """Every source fails a load: PRIMARY and BOLT with `kinds`, and the client says why in words."""

    def __init__(self, *kinds: tuple[CallKind, int | None]) -> None:
        super().__init__({"PRIMARY": {}, "BOLT": {}})
        self.kinds = kinds

    async def load(self, table: str) -> LoadResult:
        attempts = tuple(
            Attempt(s, "select", kind, 1.0, status=status, code="PGRST001" if status else None)
            for s, (kind, status) in zip(self.sources, self.kinds, strict=True)
        )
        return LoadResult(table, (), attempts, 1.0, error="no source answered, no snapshot")


def test_a_failed_load_records_a_typed_error_and_keeps_the_clients_words() -> None:
    """A load's error was the client's free text (matched by prefix): now a kind, the text in `message`."""
    load = Workload(steps=(Step(op="load", count=1),))
    [same] = _run(DownClient(("http", 503), ("http", 503)), load).completions()
    assert (same.error, same.error_status, same.error_code) == ("http", 503, "PGRST001")
    assert same.error_label == "http_503:PGRST001"
    assert same.message == "no source answered, no snapshot"
    [mixed] = _run(DownClient(("refused", None), ("http", 503)), load).completions()
    assert (mixed.error, mixed.error_status) == ("all_failed", None)
    assert [(c.kind, c.status) for c in mixed.calls] == [("refused", None), ("http", 503)]
