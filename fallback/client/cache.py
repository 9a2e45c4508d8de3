"""Last-known-good snapshots (and pending writes), persisted in SQLite in the client's cache dir.

The snapshot is kept per (table, source): each source's latest complete answer. When every
source fails, the client merges these with its usual policy and flags the result `stale`
with the age of the oldest piece, so "showing cached data" is what actually happens.
Pending writes are stored here too, so an indeterminate create survives a restart.
SQLite calls are synchronous; the client runs them in a thread.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fallback.client.results import PendingWrite, Row

DEFAULT_CACHE_DIR = Path(".cache/fallback")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
  table_name TEXT NOT NULL, source TEXT NOT NULL, taken_at REAL NOT NULL, rows_json TEXT NOT NULL,
  PRIMARY KEY (table_name, source));
CREATE TABLE IF NOT EXISTS pending_writes (
  table_name TEXT NOT NULL, row_id TEXT NOT NULL, source TEXT NOT NULL, since REAL NOT NULL,
  row_json TEXT NOT NULL, PRIMARY KEY (table_name, row_id));
"""


@dataclass(frozen=True)
class Snapshot:
    source: str
    rows: tuple[Row, ...]
    taken_at: float


class SnapshotCache:
    """One SQLite file, `snapshots.sqlite`, under `cache_dir`."""

    def __init__(self, cache_dir: Path | str = DEFAULT_CACHE_DIR, clock: Callable[[], float] = time.time):
        self.path = Path(cache_dir) / "snapshots.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=5.0)
        try:
            with db:  # commits, or rolls back on error
                yield db
        finally:
            db.close()

    def save(self, table: str, source: str, rows: Sequence[Row]) -> None:
        self.save_json(table, source, json.dumps([dict(r) for r in rows], default=str))

    def save_json(self, table: str, source: str, payload: str | bytes) -> None:
        """A snapshot given as its JSON array of rows (e.g. a response's body, stored as it came)."""
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
                (table, source, self._clock(), payload),
            )

    def load(self, table: str) -> dict[str, Snapshot]:
        """Each source's latest snapshot of `table`."""
        with self._connect() as db:
            found = db.execute(
                "SELECT source, taken_at, rows_json FROM snapshots WHERE table_name = ?", (table,)
            ).fetchall()
        return {s: Snapshot(s, tuple(json.loads(rows)), taken_at) for s, taken_at, rows in found}

    def age(self, snapshot: Snapshot) -> float:
        return max(0.0, self._clock() - snapshot.taken_at)

    def add_pending(self, pending: PendingWrite) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO pending_writes VALUES (?, ?, ?, ?, ?)",
                (pending.table, pending.row_id, pending.source, pending.since, json.dumps(dict(pending.row))),
            )

    def remove_pending(self, pending: PendingWrite) -> None:
        with self._connect() as db:
            db.execute(
                "DELETE FROM pending_writes WHERE table_name = ? AND row_id = ?", (pending.table, pending.row_id)
            )

    def pending(self) -> list[PendingWrite]:
        with self._connect() as db:
            found = db.execute("SELECT table_name, row_id, source, since, row_json FROM pending_writes").fetchall()
        return [_pending(*row) for row in found]


def _pending(table: str, row_id: str, source: str, since: float, row_json: str) -> PendingWrite:
    row: dict[str, Any] = json.loads(row_json)
    return PendingWrite(table, row_id, source, row, since)
