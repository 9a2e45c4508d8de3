"""One typed record of a benchmark run; the text table, Markdown and HTML are renderers of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fallback.bench.claims import FAILOVER_VARIANTS, Claim, judge
from fallback.bench.cost import HarnessCost, harness_cost
from fallback.bench.figures import Figure, Ratio, find, floor_of, load_figures, ratios
from fallback.bench.labels import GATEWAY_SPEED, LATENCIES_MS, READ, READ_REFUSED, WRITE
from fallback.bench.speed import SpeedResult, speed_results
from fallback.svg import Bar, Point, Series, line_chart, log_bar_chart

LoadAverage = tuple[float, float, float]


@dataclass(frozen=True)
class BenchReport:
    figures: tuple[Figure, ...]
    ratios: tuple[Ratio, ...]
    claims: tuple[Claim, ...]
    cost: HarnessCost
    quick: bool
    created: str
    """When pytest-benchmark wrote its JSON (ISO 8601)."""
    machine: str
    commit: str
    load_before: LoadAverage | None = None
    load_after: LoadAverage | None = None
    pytest_exit: int = 0
    speed: tuple[SpeedResult, ...] = ()
    """The gateway against the bare endpoint under wrk (speed.py); not in `ratios` (no per-round times)."""

    @property
    def profile(self) -> str:
        return "quick" if self.quick else "full"


def _machine(data: Mapping[str, Any]) -> str:
    info = data.get("machine_info") or {}
    cpu = info.get("cpu") or {}
    return (
        f"{cpu.get('brand_raw', '?')} x{cpu.get('count', '?')}, {info.get('system', '?')} "
        f"{info.get('release', '')}, Python {info.get('python_version', '?')}"
    ).strip()


def build_report(
    data: Mapping[str, Any],
    *,
    quick: bool,
    load_before: LoadAverage | None = None,
    load_after: LoadAverage | None = None,
    pytest_exit: int = 0,
) -> BenchReport:
    """Everything the renderers need, computed once from pytest-benchmark's JSON document."""
    figures = load_figures(data)
    timed = tuple(f for f in figures if f.label.scenario != GATEWAY_SPEED)
    commit = data.get("commit_info") or {}
    commit_text = str(commit.get("id", "?"))[:12] + (" (dirty)" if commit.get("dirty") else "")
    return BenchReport(
        figures=figures,
        ratios=ratios(timed),
        claims=judge(figures),
        cost=harness_cost(figures),
        quick=quick,
        created=str(data.get("datetime", "")),
        machine=_machine(data),
        commit=commit_text,
        load_before=load_before,
        load_after=load_after,
        pytest_exit=pytest_exit,
        speed=speed_results(data),
    )


def latency_chart(figures: Sequence[Figure]) -> str:
    series = []
    for variant in ("single_source", "reference", "spec_faithful"):
        points = tuple(
            Point(ms, f.median_s * 1000, f.p95_s * 1000)
            for ms in LATENCIES_MS
            if (f := find(figures, READ, variant, ms)) is not None
        )
        if points:
            series.append(Series(variant, points))
    return line_chart(
        series, "Healthy read: median (dot) and p95 (whisker)", "injected latency per link (ms)", "read time (ms)"
    )


def failover_chart(figures: Sequence[Figure]) -> str:
    bars: list[Bar] = []
    floors = [(READ_REFUSED, "read floor (healthy BOLT)"), (WRITE, "write floor (direct BOLT)")]
    for scenario, text in floors:
        floor = floor_of(figures, scenario)
        if floor is not None:
            bars.append(Bar(text, floor.median_s * 1000))
    for (scenario, client), (variant, after) in FAILOVER_VARIANTS.items():
        bench_scenario = WRITE if scenario.startswith("write") else scenario
        for name in (variant, after):
            figure = find(figures, bench_scenario, name) if name else None
            if figure is not None:
                what = scenario.replace("read-primary-", "read ").replace("write-", "write ")
                label = f"{what}: {client}" + (" (breaker open)" if name == after else "")
                if figure.all_outcomes_start("indeterminate"):
                    label += " [indeterminate]"
                bars.append(Bar(label, figure.median_s * 1000, figure.hit_bound))
    return log_bar_chart(bars, "Time to failover, PRIMARY failing (median, log scale; hatched = bounded)")


def charts(report: BenchReport) -> dict[str, str]:
    """File name -> SVG text."""
    return {"latency.svg": latency_chart(report.figures), "failover.svg": failover_chart(report.figures)}
