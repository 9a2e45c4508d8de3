"""The one interface the harness drives clients through.

Operations return frozen results (`fallback.client.results`) and do not raise because a
source failed; call `result.raise_for_outcome()` to get `SourceUnavailable`,
`AllSourcesFailed` or `WriteIndeterminate`. They do raise `RoutingError` for a row that
cannot be routed at all (a caller bug, not an outage).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from fallback.client.results import LoadResult, Resolution, Row, UpdateResult, WriteResult


@runtime_checkable
class FallbackClient(Protocol):
    name: str
    """`reference` or `spec_faithful`: how reports name the client."""

    async def load(self, table: str) -> LoadResult:
        """Read `table` from every source and merge; each row tagged with `_db_source`."""
        ...

    async def create(self, table: str, row: Row) -> WriteResult:
        """Write a new row to the highest-priority source that takes it."""
        ...

    async def update(self, row: Row, changes: Mapping[str, Any], table: str = "user_challenges") -> UpdateResult:
        """Apply `changes` to `row` in its own source (`row["_db_source"]`) only."""
        ...

    async def assign_mt5(self, row: Row, login: str, password: str, server: str) -> UpdateResult:
        """The spec's Test 3: set a challenge's MT5 credentials in the challenge's own source."""
        ...

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        """Settle writes left indeterminate (a client without such writes returns `()`)."""
        ...

    def metrics(self) -> dict[str, Any]:
        """The spec's monitoring figures as a plain dict."""
        ...

    async def aclose(self) -> None: ...
