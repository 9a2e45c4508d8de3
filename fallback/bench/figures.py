"""pytest-benchmark's JSON as typed figures, and every variant divided by its group's floor.

Ratios, not absolute times, are what the verdicts rest on: a busy machine slows the floor and
the variants alike. Every figure keeps its rounds and spread (IQR, min-max) so a reader can see
how much to trust it. A round cut short by the harness's bound makes its figure a lower bound,
and so the ratio too (shown as ">=").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fallback.bench.labels import SCENARIO_ORDER, Label
from fallback.stats import percentile, quartiles

GroupKey = tuple[str, int | None, int | None]
"""(scenario, injected latency in ms, rows): the variants of one key are compared with one floor."""


@dataclass(frozen=True)
class Figure:
    """One benchmark's timings (seconds) and what it measured."""

    label: Label
    name: str
    rounds: int
    median_s: float
    p95_s: float
    q1_s: float
    q3_s: float
    min_s: float
    max_s: float
    hit_bound: bool = False
    outcomes: tuple[tuple[str, int], ...] = ()

    @property
    def key(self) -> GroupKey:
        return (self.label.scenario, self.label.latency_ms, self.label.rows)

    @property
    def iqr_s(self) -> float:
        return self.q3_s - self.q1_s

    @property
    def is_floor(self) -> bool:
        return self.label.role == "floor"

    def outcome_text(self) -> str:
        return ", ".join(f"{name} x{count}" if count > 1 else name for name, count in self.outcomes)

    def all_outcomes_start(self, prefix: str) -> bool:
        return bool(self.outcomes) and all(name.startswith(prefix) for name, _ in self.outcomes)


def figure_from_benchmark(entry: Mapping[str, Any]) -> Figure:
    stats = entry["stats"]
    info = dict(entry.get("extra_info") or {})
    data = [float(x) for x in stats.get("data") or []]
    outcomes = info.get("outcomes") or {}
    # Our one percentile definition (fallback.stats) when the rounds are there; pytest-benchmark's
    # quartiles use another method, its median is the same.
    q1, median, q3 = quartiles(data) if data else (float(stats["q1"]), float(stats["median"]), float(stats["q3"]))
    return Figure(
        label=Label.from_extra_info(info) if "scenario" in info else Label(entry.get("group") or "?", entry["name"]),
        name=str(entry.get("fullname") or entry["name"]),
        rounds=int(stats["rounds"]),
        median_s=median,
        p95_s=percentile(data, 95) if data else float(stats["max"]),
        q1_s=q1,
        q3_s=q3,
        min_s=float(stats["min"]),
        max_s=float(stats["max"]),
        hit_bound=bool(info.get("hit_bound", False)),
        outcomes=tuple(sorted((str(k), int(v)) for k, v in outcomes.items())),
    )


def load_figures(data: Mapping[str, Any]) -> tuple[Figure, ...]:
    """Every benchmark of a pytest-benchmark JSON document."""
    return tuple(figure_from_benchmark(entry) for entry in data.get("benchmarks", []))


@dataclass(frozen=True)
class Ratio:
    """A variant divided by its group's floor (the floor itself has ratio 1)."""

    figure: Figure
    floor: Figure | None
    median_ratio: float | None
    p95_ratio: float | None

    @property
    def lower_bound(self) -> bool:
        return self.figure.hit_bound


def ratios(figures: Iterable[Figure]) -> tuple[Ratio, ...]:
    """One `Ratio` per figure, grouped by scenario, latency and rows, floors first in each group."""
    groups: dict[GroupKey, list[Figure]] = {}
    for figure in figures:
        groups.setdefault(figure.key, []).append(figure)
    result: list[Ratio] = []
    for _, members in sorted(groups.items(), key=lambda item: _group_order(item[0])):
        floor = next((f for f in members if f.is_floor), None)
        for figure in sorted(members, key=lambda f: not f.is_floor):
            if floor is None or floor.median_s <= 0:
                result.append(Ratio(figure, floor, None, None))
                continue
            p95 = figure.p95_s / floor.p95_s if floor.p95_s > 0 else None
            result.append(Ratio(figure, floor, figure.median_s / floor.median_s, p95))
    return tuple(result)


def _group_order(key: GroupKey) -> tuple[int, int, int]:
    scenario, latency_ms, rows = key
    rank = SCENARIO_ORDER.index(scenario) if scenario in SCENARIO_ORDER else len(SCENARIO_ORDER)
    return (rank, latency_ms or 0, rows or 0)


def find(
    figures: Iterable[Figure], scenario: str, variant: str, latency_ms: int | None = None, rows: int | None = None
) -> Figure | None:
    for figure in figures:
        label = figure.label
        if (label.scenario, label.variant, label.latency_ms, label.rows) == (scenario, variant, latency_ms, rows):
            return figure
    return None


def floor_of(figures: Iterable[Figure], scenario: str, latency_ms: int | None = None) -> Figure | None:
    for figure in figures:
        if figure.is_floor and (figure.label.scenario, figure.label.latency_ms) == (scenario, latency_ms):
            return figure
    return None


def fmt_time(seconds: float) -> str:
    """`320 µs`, `2.59 ms`, `1.23 s`: three significant figures, readable units."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_figure(figure: Figure, seconds: float | None = None, *, short: bool = False) -> str:
    """A time, written as a lower bound when the harness cut the call short."""
    value = fmt_time(figure.median_s if seconds is None else seconds)
    if not figure.hit_bound:
        return value
    return f">= {value}" if short else f">= {value} (bounded)"


def fmt_ratio(value: float | None, lower_bound: bool = False) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.3g}x" if value < 1000 else f"{value:,.0f}x"
    return f">= {text}" if lower_bound else text
