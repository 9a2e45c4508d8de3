"""The drill process's side of a Locust drill: the master and the local workers as child processes, and
what they report, merged (this module never imports Locust or gevent).

`async with LocustCluster(options, history, clock) as cluster:` checks the ports, starts the master (its
stdin/stdout are the command and report pipes) and the local workers (each in its own session, its output in
`<log_dir>/locust-*.log`), and reads the master's lines in a task: events go into `history` as they arrive
(so the dashboard and, at the end, the one checker see every worker's operations), pace into `WorkerPace`.
Leaving the block, however it is left (success, error, Ctrl-C, cancellation): `quit` to the master, then
SIGTERM and, after `STOP_GRACE_S`, SIGKILL to every process group it started; nothing is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import TracebackType

from pydantic import ValidationError

from fallback.drill.pace import PaceLog
from fallback.drill.scale.options import ClusterError, ScaleOptions, ensure_ports_free
from fallback.drill.scale.seen import WorkerSeenByDrill
from fallback.drill.scale.share import merged_event, merged_pace
from fallback.drill.scale.wire import (
    Command,
    CommandName,
    EventBatch,
    Listening,
    Roster,
    WorkerLife,
    WorkerNote,
    WorkerPlan,
    parse_master_line,
)
from fallback.history import History
from fallback.stack.process import interrupts_deferred, pid_running

START_TIMEOUT_S = 60.0
JOIN_TIMEOUT_S = 600.0
"""`--master`: how long the drill waits for workers started by hand on other machines."""
STOP_GRACE_S = 3.0


class LocustCluster:
    def __init__(self, options: ScaleOptions, history: History, clock: Callable[[], float] = lambda: 0.0) -> None:
        """`clock`: the drill's (set it once the session has one: it only dates what workers do)."""
        self.options, self.history, self.clock = options, history, clock
        self.workers: dict[int, WorkerSeenByDrill] = {}
        self.master_cpu_pct = 0.0
        self.web_url = ""
        self._master: asyncio.subprocess.Process | None = None
        self._locals: list[subprocess.Popen[bytes]] = []
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._logs: list[object] = []

    # --- start and stop ------------------------------------------------------------------------------
    async def __aenter__(self) -> LocustCluster:
        ensure_ports_free(self.options)
        try:
            await self._start()
        except BaseException:
            self._kill_all()
            raise
        return self

    async def _start(self) -> None:
        o = self.options
        o.log_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "fallback.drill.scale.master", "--bind-host", o.bind_host]
        argv += ["--port", str(o.master_port), "--expect-workers", str(o.expect_workers)]
        argv += ["--web-port", str(o.web_port)] if o.web_port else []
        argv += ["--csv", o.csv_prefix] if o.csv_prefix else []
        log = open(o.log_dir / "locust-master.log", "wb")  # noqa: SIM115  closed with the cluster
        self._logs.append(log)
        with interrupts_deferred():
            self._master = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                start_new_session=True,
                limit=64 * 1024 * 1024,
            )
        self._reader = asyncio.create_task(self._read())  # the Listening line comes while the workers start
        connect = "127.0.0.1" if o.bind_host in ("0.0.0.0", "") else o.bind_host
        for n in range(o.workers):
            worker_log = open(o.log_dir / f"locust-worker-{n}.log", "wb")  # noqa: SIM115
            self._logs.append(worker_log)
            argv = [sys.executable, "-m", "fallback.drill.scale.worker", "--master-host", connect]
            argv += ["--master-port", str(o.master_port), "--parent-pid", str(os.getpid())]
            with interrupts_deferred():
                self._locals.append(
                    subprocess.Popen(
                        argv,
                        stdin=subprocess.DEVNULL,
                        stdout=worker_log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._master is not None and self._master.returncode is None:
                with contextlib.suppress(Exception):
                    self._send(Command(cmd="quit"))
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(self._master.wait(), STOP_GRACE_S)
        finally:
            self._kill_all()
            if self._reader is not None:
                self._reader.cancel()
                with contextlib.suppress(BaseException):
                    await self._reader

    def _kill_all(self) -> None:
        """SIGTERM to every process group we started, SIGKILL to what is left after the grace (synchronous:
        safe in any `finally`, also while the drill is being cancelled)."""
        pids = [p.pid for p in self._locals if p.poll() is None]
        if self._master is not None and self._master.returncode is None:
            pids.append(self._master.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline and any(pid_running(pid) for pid in pids):
            time.sleep(0.05)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for proc in self._locals:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for log in self._logs:
            log.close()  # type: ignore[attr-defined]

    @property
    def local_pids(self) -> list[int]:
        return [p.pid for p in self._locals]

    def pids(self) -> list[int]:
        return self.local_pids + ([self._master.pid] if self._master is not None else [])

    # --- talking to the master -----------------------------------------------------------------------
    def _send(self, command: Command) -> None:
        assert self._master is not None and self._master.stdin is not None
        self._master.stdin.write(command.model_dump_json(by_alias=True).encode() + b"\n")

    async def prepare(self, plan: WorkerPlan, stop: asyncio.Event | None = None) -> None:
        """Every expected worker connected and its client built; ClusterError naming what is missing. Waits
        `START_TIMEOUT_S` for local workers, `JOIN_TIMEOUT_S` when some come from other machines; returns at
        once when `stop` is set (a Ctrl-C while waiting: the drill then ends with no traffic)."""
        timeout_s = START_TIMEOUT_S if self.options.workers >= self.options.expect_workers else JOIN_TIMEOUT_S
        self._send(Command(cmd="plan", plan=plan))

        def ready_or_stopped() -> bool:
            exited = [p for p in self._locals if p.poll() is not None]
            if exited:  # a worker that cannot start (an import error, ...) says so now, not after the timeout
                raise ClusterError(
                    f"a local worker (pid {exited[0].pid}) exited with {exited[0].returncode} before the start: "
                    f"see {self.options.log_dir}/locust-worker-*.log"
                )
            return self._count({"ready"}) >= self.options.expect_workers or (stop is not None and stop.is_set())

        ready = await self.wait_for(ready_or_stopped, timeout_s)
        if not ready:
            failed = [f"worker {w.index}: {w.error}" for w in self.workers.values() if w.error]
            died = [f"local worker pid {p.pid} exited {p.returncode}" for p in self._locals if p.poll() is not None]
            raise ClusterError(
                f"{self._count({'ready'})} of {self.options.expect_workers} workers got ready within "
                f"{timeout_s:.0f} s"
                + (": " + "; ".join(failed + died) if failed or died else "")
                + f" (logs: {self.options.log_dir}/locust-*.log)"
            )

    def go(self, t0_wall: float) -> None:
        for worker in self.workers.values():
            if not worker.gone:
                worker.life = "running"
        self._send(Command(cmd="go", t0_wall=t0_wall))

    def command(self, cmd: CommandName) -> None:
        self._send(Command(cmd=cmd))

    def _count(self, lives: set[str]) -> int:
        return sum(w.life in lives for w in self.workers.values())

    def all_past(self, lives: set[str]) -> bool:
        """Every worker in one of `lives` or gone."""
        return all(w.life in lives or w.gone for w in self.workers.values())

    async def wait_for(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition():
            self._check_locals()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.2))
        return True

    def _check_locals(self) -> None:
        """A local worker process that exited is `died` at once (Locust's heartbeat would take 3 s); the master
        gone is the end of the drill's load (ClusterError)."""
        if self._master is not None and self._master.returncode is not None:
            raise ClusterError(
                f"Locust's master exited with {self._master.returncode}: see {self.options.log_dir}/locust-master.log"
            )
        for worker in self.workers.values():
            if worker.gone or not worker.pid:
                continue
            proc = next((p for p in self._locals if p.pid == worker.pid), None)
            if proc is not None and proc.poll() is not None:
                self._gone(worker, "died", f"process {proc.pid} exited with {proc.returncode}")

    def _gone(self, worker: WorkerSeenByDrill, life: WorkerLife, why: str) -> None:
        worker.life, worker.error, worker.gone_at_s = life, why, round(self.clock(), 3)

    # --- what the master says -------------------------------------------------------------------------
    async def _read(self) -> None:
        assert self._master is not None and self._master.stdout is not None
        while line := await self._master.stdout.readline():
            try:
                self._take(parse_master_line(line.decode()))
            except ValidationError as exc:
                print(f"drill: a line from Locust's master was not understood: {exc}", file=sys.stderr)
            self._changed.set()

    def worker(self, index: int) -> WorkerSeenByDrill:
        return self.workers.setdefault(index, WorkerSeenByDrill(index=index))

    def _take(self, line: EventBatch | WorkerNote | Roster | Listening) -> None:
        if isinstance(line, EventBatch):
            worker = self.worker(line.worker)
            for event in line.events:
                self.history.append(merged_event(event, line.worker))
            worker.events += len(line.events)
            worker.invoked += sum(e.type == "invoke" for e in line.events)
            worker.ops_done += sum(e.type in ("ok", "fail", "indeterminate") for e in line.events)
            worker.issued = line.issued
            worker.pace.apply(line.pace)
            worker.last_batch_s = self.clock()
        elif isinstance(line, WorkerNote):
            worker = self.worker(line.worker)
            worker.pid, worker.host = line.pid or worker.pid, line.host or worker.host
            if line.life == "failed":
                self._gone(worker, "failed", line.error)
            elif not worker.gone:
                worker.life = line.life
        elif isinstance(line, Listening):
            self.web_url = line.web_url
        elif isinstance(line, Roster):
            self.master_cpu_pct = line.master_cpu_pct
            for seen in line.workers:
                if seen.worker < 0:
                    continue
                worker = self.worker(seen.worker)
                worker.locust_state, worker.cpu_pct = seen.locust_state, seen.cpu_pct
                if seen.locust_state == "missing" and not worker.gone:
                    self._gone(worker, "missing", "no heartbeat reached Locust's master for 3 s")

    # --- figures ---------------------------------------------------------------------------------------
    @property
    def issued(self) -> int:
        return sum(w.issued for w in self.workers.values())

    def pace(self) -> PaceLog:
        return merged_pace(w.pace for w in self.workers.values())
