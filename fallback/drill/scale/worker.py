"""A drill worker: `python -m fallback.drill.scale.worker --master-host HOST --master-port PORT`.

A Locust worker (gevent, on the main thread) with one asyncio loop in its own thread (`bridge`), where its
`WorkerEngine` (client, history, its share of the schedule) lives. Its steps come as Locust custom messages
from the master: `drill-plan` (build the client), `drill-go` (run the share from the drill's zero),
`drill-stop` / `drill-cancel`, `drill-settle`; every `BATCH_S` it sends its new history events and pace to
the master (`drill-events`), and notes (`drill-note`: ready, done, settled, failed). Each completed
operation is also fired as a Locust `request` event, for Locust's own stats, CSV and web UI (their
percentiles are Locust's rounded ones; the drill's report never uses them).
Started by the drill (`--workers N`) or by hand on another machine (`fallback-harness drill --worker`).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from typing import Any

import gevent
import gevent.event
from locust import User, constant, task
from locust.env import Environment
from locust.runners import WorkerRunner

from fallback.drill.scale.bridge import LoopThread
from fallback.drill.scale.engine_side import WorkerEngine
from fallback.drill.scale.wire import EventBatch, WorkerLife, WorkerNote, WorkerPlan

BATCH_S = 0.25
"""How often a worker sends what it has seen: the dashboard's delay, and what a killed worker can lose."""


class DrillUser(User):
    """One per worker, spawned by the master at the drill's start: it shows the worker's share as a running
    Locust user (its task waits for the share, cooperatively). The share itself is started by `drill-go`, so
    a worker's part never depends on how Locust dispatches users."""

    wait_time = constant(3600)

    @task
    def share(self) -> None:
        side: WorkerSide | None = getattr(self.environment, "drill_side", None)
        if side is not None:
            side.finished.wait()


class WorkerSide:
    def __init__(self, env: Environment, runner: WorkerRunner) -> None:
        self.env, self.runner = env, runner
        self.loop = LoopThread()
        self.engine: WorkerEngine | None = None
        self.finished = gevent.event.Event()
        self.index = -1
        for name, handler in (
            ("drill-plan", self.on_plan),
            ("drill-go", self.on_go),
            ("drill-stop", self.on_stop),
            ("drill-cancel", self.on_cancel),
            ("drill-settle", self.on_settle),
        ):
            runner.register_message(name, handler, concurrent=True)
        self._streaming = gevent.spawn(self.stream)

    def note(self, life: WorkerLife, error: str = "") -> None:
        note = WorkerNote(worker=self.index, life=life, pid=os.getpid(), host=socket.gethostname(), error=error)
        self.runner.send_message("drill-note", {"line": note.model_dump_json()})

    def on_plan(self, msg: Any, **_: Any) -> None:
        plan = WorkerPlan.model_validate_json(msg.data["plan"])
        self.index = plan.index
        try:
            self.engine = WorkerEngine(plan)
            self.loop.call(self.engine.prepare())
        except Exception as exc:
            self.note("failed", f"building the client: {exc!r}")
            return
        self.note("ready")

    def on_go(self, msg: Any, **_: Any) -> None:
        if self.engine is None:
            return
        try:
            self.loop.call(self.engine.run(float(msg.data["t0_wall"])))
        except Exception as exc:  # a cancel (second Ctrl-C) ends it as concurrent.futures.CancelledError
            print(f"worker {self.index}: the share ended with {exc!r}", file=sys.stderr)
        self.send_batch()
        self.note("done")
        self.finished.set()

    def on_stop(self, msg: Any, **_: Any) -> None:
        if self.engine is not None:
            self.loop.call_soon(self.engine.stop)

    def on_cancel(self, msg: Any, **_: Any) -> None:
        if self.engine is not None:
            self.loop.call_soon(self.engine.cancel)

    def on_settle(self, msg: Any, **_: Any) -> None:
        if self.engine is not None:
            try:
                self.loop.call(self.engine.settle())
            except Exception as exc:
                self.note("failed", f"settling undecided writes: {exc!r}")
        self.send_batch()
        self.note("settled")

    def send_batch(self) -> None:
        if self.engine is None:
            return
        batch: EventBatch = self.loop.call(self.engine.batch())
        self.runner.send_message("drill-events", {"line": batch.model_dump_json()})
        for event in batch.events:
            if event.type in ("ok", "fail", "indeterminate"):
                self.env.events.request.fire(  # type: ignore[no-untyped-call]
                    request_type=event.name,
                    name=event.table,
                    response_time=event.latency_ms or 0.0,
                    response_length=0,
                    exception=None if event.type == "ok" else RuntimeError(event.error_label or event.type),
                    context={},
                )

    def stream(self) -> None:
        while True:
            gevent.sleep(BATCH_S)
            try:
                self.send_batch()
            except Exception as exc:  # the loop closed under us at shutdown
                print(f"worker {self.index}: batch failed: {exc!r}", file=sys.stderr)

    def close(self) -> None:
        self._streaming.kill()
        if self.engine is not None:
            try:
                self.loop.call(self.engine.close())
            except Exception as exc:
                print(f"worker {self.index}: closing the client failed: {exc!r}", file=sys.stderr)
        self.loop.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fallback.drill.scale.worker")
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, default=0, help="quit when this process is gone (local workers)")
    args = parser.parse_args(argv)
    env = Environment(user_classes=[DrillUser])
    runner = env.create_worker_runner(args.master_host, args.master_port)
    side = WorkerSide(env, runner)
    env.drill_side = side  # type: ignore[attr-defined]
    gevent.signal_handler(signal.SIGTERM, runner.quit)
    gevent.signal_handler(signal.SIGINT, runner.quit)
    if args.parent_pid:
        gevent.spawn(_orphan_watch, args.parent_pid, runner)
    try:
        runner.greenlet.join()
    finally:
        side.close()
    return 0


def _orphan_watch(parent: int, runner: WorkerRunner) -> None:
    """A local worker quits when the drill that started it is gone (killed -9: nobody else would stop it)."""
    while os.getppid() == parent:
        gevent.sleep(1.0)
    runner.quit()


if __name__ == "__main__":
    sys.exit(main())
