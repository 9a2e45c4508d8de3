"""A worker's asyncio side: its client, its share of the schedule, its history; no Locust, no gevent here.

Everything in `WorkerEngine` runs in the worker's one asyncio loop (`fallback.drill.scale.bridge`), so
its state (the history, the pace log, the client) is only ever touched from that loop's thread; the
gevent side asks for a `batch()` through the loop like for everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from fallback.client.protocol import FallbackClient
from fallback.drill.scale.share import PaceTracker, WorkerHistory, share, traffic_plan
from fallback.drill.scale.wire import EventBatch, WorkerPlan
from fallback.drill.traffic import SteadyTraffic
from fallback.engine.clients import make_client, signed_in_user
from fallback.engine.observe import captured_client_logs
from fallback.engine.rows import table_keys
from fallback.engine.workload import WorkloadRunner


class WorkerEngine:
    """One worker's client and traffic: `prepare`, `run(t0_wall)`, `stop`/`cancel`, `settle`, `close`."""

    def __init__(self, plan: WorkerPlan) -> None:
        self.plan = plan
        self.index = plan.index
        self.history = WorkerHistory(plan.index)
        self._cache = tempfile.TemporaryDirectory(prefix=f"fallback-drill-w{plan.index}-")
        self._logs = contextlib.ExitStack()
        self._sent_events = 0
        self._offset = 0.0
        self.client: FallbackClient | None = None
        self.runner: WorkloadRunner | None = None
        self.traffic: SteadyTraffic | None = None
        self._tracker: PaceTracker | None = None
        self._run: asyncio.Task[None] | None = None

    def clock(self) -> float:
        """Drill seconds: this machine's monotonic clock, aligned once to the drill's zero (`run`)."""
        return time.monotonic() - self._offset

    async def prepare(self) -> None:
        plan = self.plan
        self._logs.enter_context(captured_client_logs())  # the client's console lines stay out of our stdout
        keys = table_keys(plan.project_schema)
        self.client = make_client(
            plan.client, plan.state, Path(self._cache.name), plan.op_deadline_s, plan.auth, tables=keys
        )
        self.runner = WorkloadRunner(
            self.client,
            self.history,
            seed=plan.traffic.seed + plan.index,
            op_deadline_s=plan.op_deadline_s,
            clock=self.clock,
            schema=plan.project_schema,
            user_id=signed_in_user(plan.auth),
            first_source_rows=plan.first_source_rows,
        )
        part = share(traffic_plan(plan.traffic), plan.index, plan.count)
        self.traffic = SteadyTraffic(self.runner, part.plan, self.clock)
        self._tracker = PaceTracker(self.traffic.pace)
        self._start_s = part.offset_s
        self._operations = part.operations

    async def run(self, t0_wall: float) -> None:
        """The share of the schedule, from the drill's zero (`t0_wall`, time.time()) plus this worker's offset."""
        assert self.traffic is not None
        self._offset = time.monotonic() - (time.time() - t0_wall)
        await asyncio.sleep(max(0.0, self._start_s - self.clock()))
        self._run = asyncio.current_task()
        try:
            if self._operations > 0:  # more workers than operations: this one sends none
                await self.traffic.run()
        finally:
            self._run = None

    def stop(self) -> None:
        """No new operations; those in flight get the plan's drain."""
        if self.traffic is not None:
            self.traffic.stop()

    def cancel(self) -> None:
        """Cut off the operations in flight now (a second Ctrl-C)."""
        if self._run is not None:
            self._run.cancel()

    async def settle(self) -> None:
        """The faults are gone: the client settles what it left undecided (resolve events in the history)."""
        if self.runner is not None:
            await self.runner.resolve_pending()

    async def batch(self) -> EventBatch:
        events = self.history.events
        new, self._sent_events = events[self._sent_events :], len(events)
        pace = self._tracker.delta() if self._tracker is not None else None
        issued = self.traffic.issued if self.traffic is not None else 0
        if pace is None:
            return EventBatch(worker=self.index, events=list(new), issued=issued)
        return EventBatch(worker=self.index, events=list(new), pace=pace, issued=issued)

    async def close(self) -> None:
        try:
            if self.client is not None:
                await self.client.aclose()
        finally:
            self._logs.close()
            self._cache.cleanup()
