"""A client that does almost nothing, for `scripts/measure_scale.py`: each load is one `GET /ready` on the first
source's gateway (no database, no merge), so a drill through it shows the load generator's own ceiling.
Only `load` is supported: measure with `--mix load=1`.

    fallback-harness drill --workers 2 --client scripts.scale_ready_client:factory --mix load=1 --rate 500/s
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from fallback.client.config import SourceConfig
from fallback.client.results import Attempt, LoadResult, Resolution


class ReadyClient:
    name = "ready-probe"

    def __init__(self, sources: Sequence[SourceConfig]) -> None:
        self.source = sources[0]
        base = self.source.url.split("/rest/v1")[0].rstrip("/")
        self.http = httpx.AsyncClient(base_url=base, timeout=5.0)

    async def load(self, table: str, **_: Any) -> LoadResult:
        started = time.perf_counter()
        try:
            answer = await self.http.get("/ready")
            kind = "ok" if answer.status_code == 200 else "http"
            status: int | None = answer.status_code
        except httpx.HTTPError:
            kind, status = "refused", None
        latency = (time.perf_counter() - started) * 1000
        attempt = Attempt(source=self.source.name, op="select", kind=kind, latency_ms=latency, status=status)
        return LoadResult(table=table, rows=(), attempts=(attempt,), latency_ms=latency)

    async def create(self, *args: Any, **kw: Any) -> Any:
        raise NotImplementedError("the ready probe only loads: --mix load=1")

    update = delete = call = create

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        return ()

    def metrics(self) -> Mapping[str, Any]:
        return {}

    async def aclose(self) -> None:
        await self.http.aclose()


def factory(sources: Sequence[SourceConfig]) -> ReadyClient:
    return ReadyClient(sources)
