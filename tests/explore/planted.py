"""A purely in-memory harness for the explorer's own tests: a fake client with a planted bug, run
through the real `WorkloadRunner`, judged by the real checker and invariants; no stack.

The fake client writes every create to PRIMARY, but, while any link of BOLT is cut (down,
blackholed, reset, truncated), it acknowledges the create without keeping it: a lost write.
Faults are not injected anywhere: the client asks which links are cut at the workload's clock.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from memory_client import MemoryClient

from fallback.checker import check
from fallback.engine.observe import Observation, Rows
from fallback.engine.workload import WorkloadRunner
from fallback.explore.invariants import BASE, Limits, judge
from fallback.explore.outcomes import Judged
from fallback.history import History
from fallback.scenario import Scenario, known_sources

CUTTING = ("down", "timeout", "reset_peer", "limit_data")


class PlantedClient(MemoryClient):
    name = "planted"

    def keep(self, source: str, table: str, row: dict[str, Any]) -> None:
        if not self.cut("BOLT"):  # the planted bug: with BOLT cut, the write is acknowledged and dropped
            super().keep(source, table, row)


def _seeded(scenario: Scenario) -> Rows:
    db: Rows = {source: {"user_challenges": [], "profiles": []} for source in known_sources()}
    for table in ("user_challenges", "profiles"):
        for source in known_sources():
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
    seen = Observation(history, db, (), known_sources())
    checked = check(history, db, initial)
    return Judged(judge(BASE, seen, checked, Limits(scenario.op_deadline)))


def planted_runner(scenario: Scenario) -> Judged:
    return asyncio.run(run_planted(scenario))
