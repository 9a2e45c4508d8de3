"""A reference client that drops one write, for the multi-worker drill's checker test: in the worker whose
operation ids are those of worker `LOSSY_WORKER`, its first create is acknowledged (`ok`, a row id) and never
sent. The history checker over the merged history must find that lost write, and only that one."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from fallback.client.config import SourceConfig
from fallback.client.keys import TableKeys
from fallback.client.reference import ReferenceClient
from fallback.client.results import Attempt, Row, WriteResult
from fallback.drill.scale.share import worker_of
from fallback.history import marker_op_id

LOSSY_WORKER = 1


class LossyClient(ReferenceClient):
    def __init__(self, sources: Sequence[SourceConfig], tables: TableKeys | None = None, **kw: Any) -> None:
        super().__init__(sources, tables=tables, **kw)
        self.dropped: list[int] = []

    async def create(self, table: str, row: Row) -> WriteResult:
        op_ids = [marker_op_id(value) for value in row.values()]
        op_id = next((i for i in op_ids if i is not None), None)
        if op_id is not None and worker_of(op_id) == LOSSY_WORKER and not self.dropped:
            self.dropped.append(op_id)
            row_id = str(row.get("id") or uuid.uuid4())
            first = self.sources[0].name
            started = time.monotonic()
            attempt = Attempt(source=first, op="insert", kind="ok", latency_ms=0.1, row_id=row_id, count=1)
            latency = (time.monotonic() - started) * 1000
            return WriteResult(table, row_id, first, "ok", (attempt,), latency, row=dict(row))
        return await super().create(table, row)


def factory(sources: Sequence[SourceConfig], tables: TableKeys | None = None) -> LossyClient:
    return LossyClient(sources, tables=tables)
