"""The workers in the drill's dashboard (a line each: alive, ops/s, own lag) and in `drill.md`."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fallback.drill.live import WINDOW_S, LiveView, render
from fallback.drill.scale.cluster import LocustCluster
from fallback.drill.scale.run import ScaleResult
from fallback.drill.scale.seen import WorkerSeenByDrill
from fallback.drill.scale.share import merged_pace

LIFE_STYLE = {"running": "green", "done": "green", "settled": "green", "ready": "cyan"}


def worker_rate(worker: WorkerSeenByDrill, now_s: float) -> tuple[float, float | None]:
    """(ops/s sent, lag p99 ms) of one worker over the dashboard's window."""
    sent, _shed, lag, _stall = merged_pace([worker.pace]).recent(now_s, WINDOW_S)
    return sent / min(WINDOW_S, max(now_s, 1e-3)), None if lag is None else 1000 * lag


def worker_line(worker: WorkerSeenByDrill, now_s: float) -> str:
    """One worker as the plain (no dashboard) output prints it."""
    rate, lag = worker_rate(worker, now_s)
    return f"w{worker.index}={worker.life},{rate:.0f}/s,lag_p99={lag or 0:.0f}ms"


def _cpu(worker: WorkerSeenByDrill) -> str:
    """The worker's CPU as its own pace log measured it (Locust's figure is refreshed only every 5 s)."""
    if not worker.pace.cpu:
        return "–"
    return f"{100 * worker.pace.cpu[max(worker.pace.cpu)]:.0f}%"


def workers_table(cluster: LocustCluster, now_s: float) -> Table:
    table = Table(expand=True, box=None)
    for column in ("worker", "host/pid", "state", "Locust", "ops/s", "own lag p99", "sent", "CPU", "note"):
        table.add_column(column)
    for worker in sorted(cluster.workers.values(), key=lambda w: w.index):
        rate, lag = worker_rate(worker, now_s)
        style = "bold red" if worker.gone else LIFE_STYLE.get(worker.life, "")
        table.add_row(
            f"w{worker.index}",
            f"{worker.host or '?'}/{worker.pid or '?'}",
            Text(worker.life.upper() if worker.gone else worker.life, style=style),
            worker.locust_state or "–",
            f"{rate:.0f}",
            "–" if lag is None else f"{lag:.0f} ms",
            str(worker.invoked),
            _cpu(worker),
            worker.error,
        )
    return table


def render_scale(view: LiveView, cluster: LocustCluster, title: str) -> Panel:
    head = "CPU: each worker's own process over its last full second, 100 % = one core" + (
        f"  web UI {cluster.web_url}" if cluster.web_url else ""
    )
    return Panel(Group(render(view, title), Text(head, style="dim"), workers_table(cluster, view.t_s)), title="workers")


def workers_markdown(scale: ScaleResult) -> str:
    lines = [
        "",
        f"## Load generators: {len(scale.workers)} Locust workers",
        "",
        *([f"**{scale.incomplete}**", ""] if scale.incomplete else []),
        "| worker | host | pid | state | operations sent | completed | gone at | why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for w in scale.workers:
        gone = "–" if w.gone_at_s is None else f"{w.gone_at_s:.2f} s"
        lines.append(
            f"| w{w.index} | {w.host or '?'} | {w.pid or '?'} | {w.life} | {w.operations} | {w.completed} | "
            f"{gone} | {w.why or '–'} |"
        )
    lines += [
        "",
        "Every worker's history events were merged into one history before the checker ran; percentiles come from "
        "the merged raw latencies (never from Locust's rounded buckets). Operations a worker sent before it died "
        "are counted as what they were; those it had in flight are `cut_off`.",
        "",
    ]
    return "\n".join(lines)
