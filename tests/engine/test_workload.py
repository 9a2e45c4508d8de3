"""The workload runner against an in-memory client: pacing, counts, concurrency, the engine's own
deadline, and the markers the checker relies on. (The client is a test double of the *client*;
the engine code under test is real.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from memory_client import MemoryClient

from fallback.client.errors import CallKind
from fallback.client.keys import TableKey
from fallback.client.results import Attempt, DeleteResult, LoadResult, Row, UpdateResult, WriteResult
from fallback.engine.workload import WorkloadRunner
from fallback.history import History, marker_op_id
from fallback.project import Column, ProjectSchema, TableSchema
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

    async def load(self, table: str, **query: Any) -> LoadResult:
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


ORDERS = ProjectSchema(
    tables=(
        TableSchema(
            schema_name="public",
            name="orders",
            columns=(
                Column(name="tenant_id", type="text", base_type="text", nullable=False, has_default=False),
                Column(name="number", type="integer", base_type="int4", nullable=False, has_default=False),
                Column(
                    name="status",
                    type="order_status",
                    base_type="order_status",
                    nullable=False,
                    has_default=True,
                    enum_values=("open", "paid"),
                ),
                Column(name="memo", type="text", base_type="text", nullable=True, has_default=False),
            ),
            primary_key=("tenant_id", "number"),
        ),
    )
)


class KeyedClient(MemoryClient):
    """Rows keyed by (tenant_id, number); records the queries loads were given."""

    def __init__(self) -> None:
        super().__init__({"EU": {"orders": []}, "US": {"orders": [{"tenant_id": "t", "number": 1, "memo": None}]}})
        self.queries: list[tuple[str | None, tuple[str, ...], str | None]] = []
        self.deleted: list[tuple[str, str]] = []

    async def load(self, table: str, **query: Any) -> LoadResult:
        self.queries.append((query.get("select"), tuple(query.get("filters", ())), query.get("order")))
        return await super().load(table)

    async def update(self, table: str, row: Row, changes: Mapping[str, Any]) -> UpdateResult:
        key = TableKey(("tenant_id", "number")).of(row).text
        self.updates.append((str(row["_db_source"]), changes))
        return UpdateResult(table, key, str(row["_db_source"]), "ok", (Attempt("US", "update", "ok", 1.0, key),), 1.0)

    async def delete(self, table: str, row: Row) -> DeleteResult:
        key = TableKey(("tenant_id", "number")).of(row).text
        self.deleted.append((str(row["_db_source"]), key))
        source = str(row["_db_source"])
        self.db[source][table] = [r for r in self.rows(source, table) if r["number"] != row["number"]]
        return DeleteResult(table, key, str(row["_db_source"]), "ok", (Attempt("US", "delete", "ok", 1.0, key),), 1.0)


def _on(table: str, source: str | None = None, **fields: Any) -> Step:
    """A step validated as the scenario model does, then pointed at `table` and `source` (the engine
    is under test here; which tables and sources a scenario may name is the project's business)."""
    step = Step.model_validate({**fields, **({"source": "BOLT"} if source else {})})
    return step.model_copy(update={"table": table, "source": source})


def _run_keyed(client: MemoryClient, workload: Workload) -> History:
    history = History()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        runner = WorkloadRunner(client, history, clock=lambda: loop.time() - t0, schema=ORDERS)
        await runner.run(workload)

    asyncio.run(main())
    return history


def test_creates_carry_the_whole_key_and_the_marker_in_a_free_text_column() -> None:
    client = KeyedClient()
    history = _run_keyed(client, Workload(steps=(_on("orders", op="create", count=2),)))
    rows = client.rows("EU", "orders")
    assert all(isinstance(r["tenant_id"], str) and isinstance(r["number"], int) for r in rows)
    assert [marker_op_id(r["memo"]) for r in rows] == [op.op_id for op in history.operations()]
    assert [op.invoke.row_id for op in history.operations()] == [
        TableKey(("tenant_id", "number")).of(r).text for r in rows
    ]


def test_load_queries_deletes_and_unknown_calls() -> None:
    client = KeyedClient()
    steps = (
        _on("orders", op="load", select="tenant_id,number", filter="memo=is.null", order="number", count=1),
        _on("orders", op="delete", source="US", count=1),
        _on("orders", call="refund", source="US", args={"reason": "{op}"}, count=1),
    )
    history = _run_keyed(client, Workload(steps=steps))
    assert client.queries[0] == ("tenant_id,number", ("memo=is.null",), "number")
    _, delete, *rest = history.operations()
    assert (delete.kind, delete.outcome, delete.invoke.row_id) == ("delete", "ok", '["t","1"]')
    assert client.deleted == [("US", '["t","1"]')]
    # the deleted row is not picked again: the call finds no row left in US (learnt by a plain load)
    call = rest[-1]
    assert (call.kind, call.op, call.outcome) == ("call", "refund", "fail")
    assert call.completion is not None and call.completion.error == "no_row"
    assert client.queries[-1] == (None, (), None)


def test_an_unknown_flow_is_recorded_as_unsupported_with_its_token_argument() -> None:
    client = _client()
    step = Step.model_validate({"call": "refund", "source": "BOLT", "args": {"note": "by {op}", "n": 2}, "count": 1})
    history = _run(client, Workload(steps=(step,)))
    call = history.operations()[-1]
    assert call.invoke.changes == {"note": f"by op-{call.op_id}"}  # only the token-carrying argument
    assert call.completion is not None and call.completion.error == "unsupported"


def test_an_update_changes_a_non_key_column() -> None:
    client = KeyedClient()
    history = _run_keyed(client, Workload(steps=(_on("orders", op="update", count=1),)))
    update = history.operations()[-1]
    assert update.invoke.changes == {"memo": f"op-{update.op_id}"}  # the text column, carrying the token
    assert client.updates == [("US", {"memo": f"op-{update.op_id}"})]
