"""The drill's live view: rolling figures over the last few seconds, and their rich rendering.

Figures come from the history (what the engine saw), never from the client's own counters,
except two things only the client knows: its breakers' states and the rows per source of its
last load (the spec's "data distribution"), read from `client.metrics()`.

Source states, worst first: `breaker open` (the client refuses to call it), `down` (every
recent call failed), `degraded` (some failed), `healthy`, `idle` (not called recently).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fallback.drill.pace import MAX_LAG_S, PaceLog
from fallback.history import Event
from fallback.stats import percentile

WINDOW_S = 5.0
STATE_STYLE = {"healthy": "green", "degraded": "yellow", "down": "red", "breaker open": "magenta", "idle": "dim"}


@dataclass(frozen=True)
class SourceView:
    name: str
    state: str
    calls: int
    failed: int
    faults: tuple[str, ...] = ()
    """What Toxiproxy says is applied to this source's links now, e.g. `api:down`."""


@dataclass(frozen=True)
class GeneratorView:
    """Whether the load generator kept the rate over the last few seconds (`fallback.drill.pace`)."""

    asked_per_s: float
    sent_per_s: float
    shed: int
    """Operations due in the window that were not sent."""
    lag_p99_ms: float | None
    stall_max_ms: float | None
    shed_total: int = 0

    @property
    def saturated(self) -> bool:
        return self.shed > 0 or (self.stall_max_ms is not None and self.stall_max_ms > 1000 * MAX_LAG_S)


@dataclass(frozen=True)
class LiveView:
    t_s: float
    duration_s: float
    issued: int
    ops_per_s: float
    error_rate: float | None
    p50_ms: float | None
    p99_ms: float | None
    fallback_rate: float | None
    """Share of recent successful operations served without the first source."""
    sources: tuple[SourceView, ...]
    distribution: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    availability: float | None = None
    """Since the start."""
    generator: GeneratorView | None = None


def source_state(calls: Sequence[str], breaker: str | None) -> str:
    if breaker == "open":
        return "breaker open"
    sent = [c for c in calls if c != "breaker_open"]
    if not sent:
        return "breaker open" if calls else "idle"
    failed = sum(c != "ok" for c in sent)
    return "healthy" if failed == 0 else ("down" if failed == len(sent) else "degraded")


def live_view(
    completions: Sequence[Event],
    *,
    now: float,
    duration_s: float,
    issued: int,
    sources: Sequence[str],
    metrics: Mapping[str, Any],
    faults: Mapping[str, Sequence[str]],
    pace: PaceLog | None = None,
    rate_per_s: float | None = None,
) -> LiveView:
    recent = [e for e in completions if e.time_s >= now - WINDOW_S]
    span = min(WINDOW_S, max(now, 1e-3))
    ok = [e for e in recent if e.type == "ok"]
    latencies = [e.latency_ms for e in recent if e.latency_ms is not None]
    primary = sources[0] if sources else ""
    without_primary = [e for e in ok if _without(e, primary)]
    breakers: Mapping[str, str] = metrics.get("breakers", {}) or {}
    views = []
    for name in sources:
        calls = [c.kind for e in recent for c in e.calls if c.source == name]
        on = tuple(
            f"{proxy.split('.', 1)[1]}:{kind}"
            for proxy, kinds in sorted(faults.items())
            if proxy.split(".")[0] == name
            for kind in kinds
        )
        views.append(
            SourceView(
                name, source_state(calls, breakers.get(name)), len(calls), sum(c not in ("ok",) for c in calls), on
            )
        )
    total_ok = sum(e.type == "ok" for e in completions)
    return LiveView(
        t_s=now,
        duration_s=duration_s,
        issued=issued,
        ops_per_s=len(recent) / span,
        error_rate=(1 - len(ok) / len(recent)) if recent else None,
        p50_ms=percentile(latencies, 50) if latencies else None,
        p99_ms=percentile(latencies, 99) if latencies else None,
        fallback_rate=len(without_primary) / len(ok) if ok else None,
        sources=tuple(views),
        distribution=metrics.get("distribution", {}) or {},
        availability=total_ok / len(completions) if completions else None,
        generator=generator_view(pace, now, rate_per_s) if pace is not None and rate_per_s else None,
    )


def generator_view(pace: PaceLog, now: float, rate_per_s: float) -> GeneratorView:
    sent, shed, lag, stall = pace.recent(now, WINDOW_S)
    span = min(WINDOW_S, max(now, 1e-3))
    return GeneratorView(
        asked_per_s=rate_per_s,
        sent_per_s=sent / span,
        shed=shed,
        shed_total=pace.total_shed,
        lag_p99_ms=None if lag is None else 1000 * lag,
        stall_max_ms=None if stall is None else 1000 * stall,
    )


def _without(event: Event, primary: str) -> bool:
    if event.op == "create":
        return event.source is not None and event.source != primary
    if event.op == "load":
        return any(c.source == primary and c.kind != "ok" for c in event.calls)
    return False


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _generator_line(g: GeneratorView) -> Text:
    line = Text(
        f"generator: sent {g.sent_per_s:.0f}/s of {g.asked_per_s:g}/s  lag p99 {_ms(g.lag_p99_ms)}  "
        f"loop stall {_ms(g.stall_max_ms)}  shed {g.shed_total}"
    )
    if g.saturated:
        line.append(
            "  HARNESS SATURATED: this machine cannot keep the rate; shed or stalled operations are "
            "not counted against availability",
            style="bold red",
        )
    return line


def render(view: LiveView, title: str = "outage drill") -> Panel:
    head = Text.assemble(
        (f"t={view.t_s:5.1f}s / {view.duration_s:.0f}s  ", "bold"),
        f"issued {view.issued}  ops/s {view.ops_per_s:5.1f}  availability so far {_pct(view.availability)}\n",
        f"last {WINDOW_S:.0f} s: errors {_pct(view.error_rate)}  p50 {_ms(view.p50_ms)}  p99 {_ms(view.p99_ms)}  ",
        f"fallback {_pct(view.fallback_rate)}",
    )
    if view.generator is not None:
        head.append("\n")
        head.append_text(_generator_line(view.generator))
    table = Table(expand=True, box=None)
    for column in ("source", "state", f"calls ({WINDOW_S:.0f} s)", "failed", "faults now", "rows (last load)"):
        table.add_column(column)
    for source in view.sources:
        rows = " ".join(f"{t}:{n.get(source.name, 0)}" for t, n in sorted(view.distribution.items())) or "–"
        style = STATE_STYLE.get(source.state, "")
        table.add_row(
            source.name,
            Text(source.state, style=style),
            str(source.calls),
            str(source.failed),
            ", ".join(source.faults) or "–",
            rows,
        )
    footer = Text(
        "Ctrl-C ends the drill (toxics removed, report written). "
        "Faults from another terminal: fallback-harness fault PRIMARY.api down",
        style="dim",
    )
    return Panel(Group(head, table, footer), title=title)
