"""Drills past one machine: the drill's traffic sent by Locust workers (issue 18).

    fallback-harness drill --workers 2 --rate 200/s --fail PRIMARY.api@10s-20s        # one machine
    fallback-harness drill --master --expect-workers 4 --bind-host 0.0.0.0            # machine A
    fallback-harness drill --worker --master-host A --master-port 25490               # machines B, C, ...

Processes and what each owns:

* the drill process (`fallback-harness drill`, asyncio; it NEVER imports Locust or gevent, whose import
  would monkey-patch the harness's own asyncio): the stack, the fault timeline (applied once), the
  Toxiproxy watcher, the live dashboard, the merged history, the one history checker, the figures and the
  report. It starts the master and the local workers as child processes and always stops them
  (`cluster.LocustCluster`: success, failure, Ctrl-C once or more, a killed part);
* the Locust master (`python -m fallback.drill.scale.master`): Locust's ZeroMQ port (the drill's block,
  base+90; its web UI base+91 with `--web`), heartbeats, Locust's stats and CSV. It relays, as JSON lines on
  its stdout, the workers' event batches and notes and a roster of the workers twice a second; it takes
  commands (plan, go, stop, cancel, settle, quit) as JSON lines on its stdin (`wire`);
* each worker (`python -m fallback.drill.scale.worker`): a Locust worker with one asyncio loop in its own
  native thread (`bridge`: the gevent/asyncio boundary), where its own client (reference, spec, an import
  path or `cmd:...`) sends its share of the open-loop schedule (`share`: rate/N, slots interleaved, op ids
  prefixed per worker) through the engine's `WorkloadRunner` and the drill's `SteadyTraffic`, so lag,
  shedding and loop stalls are measured as in a one-process drill. Its history events and pace go to the
  master every 0.25 s with Locust's custom messages (`runner.send_message("drill-events", ...)`).

Time: the drill sends the wall-clock time of its clock's zero once; each worker turns it into an offset on
its own monotonic clock, so every history is on one timeline (exact on one machine; across machines as
good as their NTP).

A worker that dies (a local process that exits: seen at once) or goes silent (Locust's `missing`: no
heartbeat for 3 s) is shown in the dashboard and the report, what it sent stays in the merged history,
what it had in flight is `cut_off`, and the run's verdict is `error`: "load incomplete".
"""

import os

# `import locust` monkey-patches everything with gevent unless this is set; the master and the workers import
# Locust through this package, so it is set before (see `bridge` for why nothing may be patched).
os.environ.setdefault("LOCUST_SKIP_MONKEY_PATCH", "1")

from fallback.drill.scale.cluster import LocustCluster
from fallback.drill.scale.options import MASTER_PORT_OFFSET, WEB_PORT_OFFSET, ClusterError, ScaleOptions
from fallback.drill.scale.run import ScaleResult, WorkerSummary, run_scale_drill
from fallback.drill.scale.share import OP_ID_STRIDE, Share, WorkerHistory, merged_pace, share
from fallback.drill.scale.view import render_scale, worker_line, workers_markdown

__all__ = [
    "MASTER_PORT_OFFSET",
    "OP_ID_STRIDE",
    "WEB_PORT_OFFSET",
    "ClusterError",
    "LocustCluster",
    "ScaleOptions",
    "ScaleResult",
    "Share",
    "WorkerHistory",
    "WorkerSummary",
    "merged_pace",
    "render_scale",
    "run_scale_drill",
    "share",
    "worker_line",
    "workers_markdown",
]
