"""Figures and ratios from pytest-benchmark JSON (synthetic documents, no stack)."""

from __future__ import annotations

import pytest

from fallback.bench.figures import find, fmt_figure, fmt_ratio, fmt_time, load_figures, ratios
from fallback.bench.labels import SCENARIO_ORDER, Label

from .synthetic import document, entry, suite


def test_figures_keep_label_rounds_spread_and_p95() -> None:
    figures = load_figures(document([entry(Label("read", "reference", latency_ms=20), 10, rounds=5)]))
    (figure,) = figures
    assert figure.label == Label("read", "reference", latency_ms=20)
    assert figure.rounds == 5
    assert figure.median_s == pytest.approx(0.010)
    assert figure.p95_s == pytest.approx(0.0109)  # rounds 9, 9.5, 10, 10.5, 11 ms: 80 % of the way to 11
    assert figure.iqr_s == pytest.approx(0.001)
    assert figure.outcome_text() == "ok x5"


def test_p95_falls_back_to_max_without_round_data() -> None:
    raw = entry(Label("read", "x"), 10)
    del raw["stats"]["data"]
    (figure,) = load_figures(document([raw]))
    assert figure.p95_s == raw["stats"]["max"]


def test_unlabelled_benchmark_is_still_read() -> None:
    raw = entry(Label("read", "x"), 10)
    raw["extra_info"] = {}
    (figure,) = load_figures(document([raw]))
    assert figure.label.variant == raw["name"]


def test_every_variant_is_divided_by_its_own_groups_floor() -> None:
    figures = load_figures(suite())
    by_name = {(r.figure.label.scenario, r.figure.label.variant, r.figure.label.latency_ms): r for r in ratios(figures)}
    floor = by_name[("read", "single_source", 100)]
    assert floor.median_ratio == 1.0
    spec = by_name[("read", "spec_faithful", 100)]
    assert spec.floor is not None and spec.floor.label.latency_ms == 100
    assert spec.median_ratio == pytest.approx((3 * 102 + 1) / 102)
    assert by_name[("read", "reference", 0)].median_ratio == pytest.approx(5 / 2)


def test_groups_follow_the_report_order_with_floor_first() -> None:
    order = [r.figure.label.scenario for r in ratios(load_figures(suite()))]
    ranks = [SCENARIO_ORDER.index(s) for s in order]
    assert ranks == sorted(ranks)
    first_of_each = {}
    for r in ratios(load_figures(suite())):
        first_of_each.setdefault(r.figure.key, r.figure)
    assert all(f.is_floor for f in first_of_each.values())


def test_a_group_without_floor_has_no_ratio() -> None:
    (r,) = ratios(load_figures(document([entry(Label("read", "reference", latency_ms=0), 5)])))
    assert r.median_ratio is None and r.floor is None
    assert fmt_ratio(r.median_ratio) == "n/a"


def test_bounded_figures_are_lower_bounds() -> None:
    figures = load_figures(suite())
    bounded = find(figures, "read-primary-hung", "spec_faithful")
    assert bounded is not None and bounded.hit_bound
    ratio = next(r for r in ratios(figures) if r.figure is bounded)
    assert ratio.lower_bound
    assert fmt_figure(bounded) == ">= 5 s (bounded)"
    assert fmt_figure(bounded, short=True) == ">= 5 s"
    assert fmt_ratio(2500.0, lower_bound=True) == ">= 2,500x"


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.00032, "320 µs"), (0.00259, "2.59 ms"), (0.1, "100 ms"), (1.234, "1.23 s")]
)
def test_times_are_shown_in_readable_units(seconds: float, text: str) -> None:
    assert fmt_time(seconds) == text
