"""The one interface the harness drives clients through.

Operations return frozen results (`fallback.client.results`) and do not raise because a
source failed; call `result.raise_for_outcome()` to get `SourceUnavailable`,
`AllSourcesFailed` or `WriteIndeterminate`. They do raise `RoutingError` for a row that
cannot be routed at all (a caller bug, not an outage).

Every operation names its table first. A row is identified by its table's primary key
(`fallback.client.keys.TableKey`: the harness gives clients the keys of the project's tables;
`id` when not told) and routed by its `_db_source` tag.

`call(name, args)` runs a flow of the app that is more than one of the generic operations (the
spec's "assign MT5 credentials" is `call("assign_mt5", {"row": row, "login": ..., "password": ...,
"server": ...})`). `args` is JSON-like; by the harness's convention a flow that acts on one row
gets it as `args["row"]` (with `_db_source`), and must write only to that row's source. A client
that does not know `name` returns a `CallResult` with outcome `fail` and an `unsupported` attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from fallback.client.results import (
    CallResult,
    DeleteResult,
    LoadResult,
    Resolution,
    Row,
    UpdateResult,
    WriteResult,
)


@runtime_checkable
class FallbackClient(Protocol):
    name: str
    """`reference` or `spec_faithful`: how reports name the client."""

    async def load(
        self, table: str, *, select: str | None = None, filters: Sequence[str] = (), order: str | None = None
    ) -> LoadResult:
        """Read `table` from every source and merge; each row tagged with `_db_source`.

        `select`, `filters` (`status=eq.open`) and `order` (`created_at.desc`) are PostgREST's syntax,
        embedded resources included; the defaults read the whole table (`select=*`)."""
        ...

    async def create(self, table: str, row: Row) -> WriteResult:
        """Write a new row to the highest-priority source that takes it."""
        ...

    async def update(self, table: str, row: Row, changes: Mapping[str, Any]) -> UpdateResult:
        """Apply `changes` to `row` in its own source (`row["_db_source"]`) only."""
        ...

    async def delete(self, table: str, row: Row) -> DeleteResult:
        """Delete `row` from its own source (`row["_db_source"]`) only."""
        ...

    async def call(self, name: str, args: Mapping[str, Any]) -> CallResult:
        """Run the app's flow `name` (e.g. `assign_mt5`); unknown names fail as `unsupported`."""
        ...

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        """Settle writes left indeterminate (a client without such writes returns `()`)."""
        ...

    def metrics(self) -> dict[str, Any]:
        """The spec's monitoring figures as a plain dict."""
        ...

    async def aclose(self) -> None: ...
