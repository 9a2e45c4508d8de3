"""The drill's Locust master: `python -m fallback.drill.scale.master --port P --expect-workers N`.

Started (and always stopped) by the drill process, which talks to it over pipes: commands as JSON lines on
its stdin (`wire.Command`), everything it learns as JSON lines on its stdout (`wire.MasterLine`): the
workers' event batches and notes relayed as they came, and twice a second the roster (each worker's
Locust state, heartbeat countdown and CPU). It binds Locust's one ZeroMQ port P (the workers connect to it)
on `--bind-host` (loopback unless the drill spreads over machines), and with
`--web-port` Locust's web UI on loopback; `--csv PREFIX` writes Locust's CSV stats. It quits when told,
on SIGTERM, or when its stdin closes (the drill process is gone).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

import gevent
from gevent.fileobject import FileObjectPosix
from locust.env import Environment
from locust.runners import MasterRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter, stats_history

from fallback.drill.scale.wire import Command, Listening, Roster, WorkerSeen
from fallback.drill.scale.worker import DrillUser

ROSTER_S = 0.5


class MasterSide:
    def __init__(self, runner: MasterRunner, expect: int, out: FileObjectPosix) -> None:
        self.runner, self.expect, self.out = runner, expect, out
        self.indexes: dict[str, int] = {}
        """Locust client id -> drill worker index (assigned when the plan is sent, in connection order)."""
        for name in ("drill-events", "drill-note"):
            runner.register_message(name, self.relay)

    def write(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def relay(self, msg: Any, **_: Any) -> None:
        self.write(str(msg.data["line"]))  # already a JSON line of `wire`; the drill process validates it

    def roster(self) -> None:
        while True:
            workers = [
                WorkerSeen(
                    worker=self.indexes.get(client_id, -1),
                    client_id=client_id,
                    locust_state=str(node.state),
                    cpu_pct=float(node.cpu_usage),
                    heartbeat=int(node.heartbeat),
                )
                for client_id, node in list(self.runner.clients.items())
            ]
            self.write(Roster(workers=workers, master_cpu_pct=float(self.runner.current_cpu_usage)).model_dump_json())
            gevent.sleep(ROSTER_S)

    def send_plans(self, command: Command) -> None:
        assert command.plan is not None
        while len(self.runner.clients.ready) < self.expect:
            gevent.sleep(0.1)
        for index, node in enumerate(self.runner.clients.ready[: self.expect]):
            self.indexes[node.id] = index
            plan = command.plan.model_copy(update={"index": index, "count": self.expect})
            self.runner.send_message("drill-plan", {"plan": plan.model_dump_json()}, client_id=node.id)

    def to_workers(self, name: str, data: dict[str, Any] | None = None) -> None:
        for client_id in self.indexes:
            self.runner.send_message(name, data, client_id=client_id)

    def commands(self, stdin: FileObjectPosix) -> None:
        for raw in stdin:
            command = Command.model_validate_json(raw)
            if command.cmd == "plan":
                gevent.spawn(self.send_plans, command)
            elif command.cmd == "go":
                self.to_workers("drill-go", {"t0_wall": command.t0_wall})
                gevent.spawn(self.runner.start, len(self.indexes), len(self.indexes))  # DrillUser: 1 per worker
            elif command.cmd in ("stop", "cancel", "settle"):
                self.to_workers(f"drill-{command.cmd}")
            elif command.cmd == "quit":
                break
        # told to quit, or stdin closed: the drill process is gone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fallback.drill.scale.master")
    parser.add_argument("--bind-host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--expect-workers", type=int, required=True)
    parser.add_argument("--web-port", type=int, default=0)
    parser.add_argument("--csv", default="", help="Locust's CSV stats: PREFIX_stats.csv, ...")
    args = parser.parse_args(argv)
    sys.argv[1:] = []  # Locust's web UI parses the command line with its own parser: ours is not its
    # the protocol's pipe, written cooperatively (a full pipe must not block the hub: heartbeats would stop);
    # anything else printed goes to stderr
    out = FileObjectPosix(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    env = Environment(user_classes=[DrillUser])
    runner = env.create_master_runner(args.bind_host, args.port)
    side = MasterSide(runner, args.expect_workers, out)
    web_url = ""
    if args.web_port:
        env.create_web_ui(host="127.0.0.1", port=args.web_port)
        web_url = f"http://127.0.0.1:{args.web_port}/"
    csv_writer, writing = None, []
    if args.csv:
        csv_writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, args.csv, full_history=False)
        writing = [gevent.spawn(csv_writer), gevent.spawn(stats_history, runner)]
    side.write(Listening(port=args.port, web_url=web_url).model_dump_json())
    roster = gevent.spawn(side.roster)
    commands = gevent.spawn(side.commands, FileObjectPosix(sys.stdin.fileno(), "rb"))
    gevent.signal_handler(signal.SIGTERM, commands.kill)
    try:
        commands.join()
    finally:
        roster.kill()
        runner.quit()  # tells every worker to quit
        gevent.killall(writing)  # the CSV writer writes its last rows when killed
        if csv_writer is not None:
            csv_writer.close_files()
        if env.web_ui is not None:
            env.web_ui.stop()  # type: ignore[no-untyped-call]
    return 0


if __name__ == "__main__":
    sys.exit(main())
