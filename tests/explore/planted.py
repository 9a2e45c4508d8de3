"""A purely in-memory harness for the explorer's own tests: a fake client with a planted bug, run
through the real `WorkloadRunner`, judged by the real checker and invariants; no stack.

The fake client writes every create to PRIMARY, but, while any link of BOLT is cut (down,
blackholed, reset, truncated), it acknowledges the create without keeping it: a lost write.
Faults are not injected anywhere: the client asks which links are cut at the workload's clock.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from fallback.checker import check
from fallback.client.results import Attempt, LoadResult, Resolution, Row, UpdateResult, WriteResult
from fallback.engine.observe import Observation, Rows
from fallback.engine.workload import WorkloadRunner
from fallback.explore.invariants import BASE, Limits, judge
from fallback.explore.outcomes import Judged
from fallback.history import History
from fallback.scenario import SOURCES, Scenario

CUTTING = ("down", "timeout", "reset_peer", "limit_data")


class PlantedClient:
    name = "planted"

    def __init__(self, db: Rows, cut: Callable[[str], bool]) -> None:
        self.db = db
        self.cut = cut

    async def load(self, table: str) -> LoadResult:
        rows: list[Row] = []
        attempts = []
        for source in SOURCES:
            if self.cut(source):
                attempts.append(Attempt(source, "select", "refused", 1.0))
                continue
            attempts.append(Attempt(source, "select", "ok", 1.0, count=len(self.db[source][table])))
            rows += [{**r, "_db_source": source} for r in self.db[source][table]]
        return LoadResult(table, tuple(rows), tuple(attempts), 1.0)

    async def create(self, table: str, row: Row) -> WriteResult:
        saved = {**row, "id": str(uuid.uuid4())}
        if not self.cut("BOLT"):  # the planted bug: with BOLT cut, the write is acknowledged and dropped
            self.db["PRIMARY"][table].append(saved)
        attempt = Attempt("PRIMARY", "insert", "ok", 1.0, saved["id"])
        return WriteResult(table, saved["id"], "PRIMARY", "ok", (attempt,), 1.0, {**saved, "_db_source": "PRIMARY"})

    async def update(self, row: Row, changes: Mapping[str, Any], table: str = "user_challenges") -> UpdateResult:
        source, row_id = str(row["_db_source"]), str(row["id"])
        for stored in self.db[source][table]:
            if str(stored["id"]) == row_id:
                stored.update(changes)
                return UpdateResult(table, row_id, source, "ok", (Attempt(source, "update", "ok", 1.0, row_id),), 1.0)
        return UpdateResult(table, row_id, source, "fail", (Attempt(source, "update", "not_found", 1.0, row_id),), 1.0)

    async def assign_mt5(self, row: Row, login: str, password: str, server: str) -> UpdateResult:
        return await self.update(row, {"mt5_login": login, "mt5_password": password, "mt5_server": server})

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        return ()

    def metrics(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        return None


def _seeded(scenario: Scenario) -> Rows:
    db: Rows = {source: {"user_challenges": [], "profiles": []} for source in SOURCES}
    for table in ("user_challenges", "profiles"):
        for source in SOURCES:
            for n in range(scenario.seed_count(table, source)):
                db[source][table].append({"id": str(uuid.uuid4()), "email": f"seed-{source}-{n}@example.com"})
    return db


async def run_planted(scenario: Scenario) -> Judged:
    db = _seeded(scenario)
    initial = {s: {t: [str(r["id"]) for r in rows] for t, rows in tables.items()} for s, tables in db.items()}
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    windows = [w for w in scenario.fault_windows() if w.toxic in CUTTING]

    def clock() -> float:
        return loop.time() - t0

    def cut(source: str) -> bool:
        now = clock()
        return any(w.source == source and w.start_s <= now and (w.end_s is None or now < w.end_s) for w in windows)

    history = History()
    runner = WorkloadRunner(PlantedClient(db, cut), history, op_deadline_s=scenario.op_deadline, clock=clock)
    await runner.run(scenario.workload)
    seen = Observation(history, db, (), SOURCES)
    checked = check(history, db, initial)
    return Judged(judge(BASE, seen, checked, Limits(scenario.op_deadline)))


def planted_runner(scenario: Scenario) -> Judged:
    return asyncio.run(run_planted(scenario))
