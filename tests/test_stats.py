"""The one percentile definition every report uses (`fallback.stats`)."""

from __future__ import annotations

import statistics

import pytest

from fallback.stats import percentile, quartiles


def test_percentile_interpolates_and_handles_one_value() -> None:
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_the_scenario_checks_and_the_benchmark_agree() -> None:
    """Scenario checks used nearest rank (p50 of 1, 2, 3, 4 was 2; p95 of 1..100 was 95): now the
    benchmark's interpolation, so a p50 is the median a reader computes with `statistics.median`."""
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5 == statistics.median([1.0, 2.0, 3.0, 4.0])
    assert percentile([float(i) for i in range(1, 101)], 95) == pytest.approx(95.05)
    assert percentile([100.0, 1000.0], 50) == 550.0


def test_edges_order_and_bad_percentiles() -> None:
    values = [9.0, 1.0, 5.0]
    assert (percentile(values, 0), percentile(values, 100)) == (1.0, 9.0)
    assert percentile(values, 50) == 5.0  # unsorted input is fine
    for bad in (-1, 101, 95.5, True):
        with pytest.raises(ValueError, match="whole number"):
            percentile(values, bad)  # type: ignore[arg-type]


def test_quartiles_use_the_same_definition() -> None:
    data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert quartiles(data) == (percentile(data, 25), percentile(data, 50), percentile(data, 75))
    assert quartiles([3.0]) == (3.0, 3.0, 3.0)
