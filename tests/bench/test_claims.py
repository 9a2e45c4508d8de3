"""Verdicts on the spec's performance claims, from synthetic figures."""

from __future__ import annotations

from fallback.bench.claims import failover_claim, judge, merge_claim, overhead_claim, parallel_claim
from fallback.bench.cost import harness_cost
from fallback.bench.figures import load_figures
from fallback.bench.labels import Label

from .synthetic import document, entry, suite


def verdicts() -> dict[tuple[str, str], str]:
    return {(c.spec, c.client): c.verdict for c in judge(load_figures(suite()))}


def test_parallel_holds_for_the_reference_and_not_for_sequential_awaits() -> None:
    figures = load_figures(suite())
    reference, spec = parallel_claim(figures, "reference"), parallel_claim(figures, "spec_faithful")
    assert reference.verdict == "holds" and "100 ms" in reference.measured
    assert spec.verdict == "does not hold" and spec.measured.startswith("3.")


def test_load_overhead_is_judged_at_every_latency_and_reports_its_growth() -> None:
    figures = load_figures(suite())
    spec = overhead_claim(figures, "spec_faithful", "Load time: +200ms", 200)
    # spec-faithful: 3 * (2 + ms) + 1 - (2 + ms) = 2 * ms + 5 ms; at 100 ms that is 205 ms.
    assert spec.verdict == "does not hold"
    assert "+205.0 ms @100 ms" in spec.measured and "grows 2.00 ms per ms" in spec.measured
    total = overhead_claim(figures, "spec_faithful", "Total", 250)
    assert total.verdict == "holds"
    assert "beyond ~122 ms per link it exceeds 250 ms" in total.measured
    assert overhead_claim(figures, "reference", "Load time: +200ms", 200).verdict == "holds"


def test_overhead_at_exactly_the_limit_holds() -> None:
    doc = document(
        [
            entry(Label("read", "single_source", role="floor", latency_ms=0), 10),
            entry(Label("read", "reference", client="reference", latency_ms=0), 210),
        ]
    )
    assert overhead_claim(load_figures(doc), "reference", "x", 200).verdict == "holds"


def test_merge_is_judged_at_a_thousand_rows_with_each_clients_policy() -> None:
    figures = load_figures(suite())
    reference = merge_claim(figures, "reference")
    assert reference.verdict == "holds" and "180 ms @100,000 rows" in reference.measured
    slow = document([entry(Label("merge", "concat", role="floor", rows=1000), 60)])
    assert merge_claim(load_figures(slow), "spec_faithful").verdict == "does not hold"
    assert merge_claim(load_figures(slow), "reference").verdict == "not measured"


def test_failover_needs_speed_and_an_answer_from_the_fallbacks() -> None:
    figures = load_figures(suite())
    assert failover_claim(figures, "read-primary-refused", "reference", "r").verdict == "holds"
    assert failover_claim(figures, "read-primary-refused", "spec_faithful", "r").verdict == "does not hold"
    hung = failover_claim(figures, "read-primary-hung", "reference", "h")  # as built: the adaptive cut
    assert hung.verdict == "holds" and hung.measured.startswith("102 ms") and "breaker is open: 5 ms" in hung.measured
    static = failover_claim(figures, "read-primary-hung", "reference (static deadline)", "h")
    assert static.verdict == "does not hold" and static.measured.startswith("2.01 s")
    bounded = failover_claim(figures, "read-primary-hung", "spec_faithful", "h")
    assert bounded.verdict == "does not hold" and ">= 5 s (bounded)" in bounded.measured


def test_a_fast_indeterminate_write_is_not_a_failover() -> None:
    doc = document(
        [
            entry(Label("write-failover", "direct_bolt", role="floor"), 2),
            entry(
                Label("write-failover", "reference_hung", client="reference"), 5, outcomes={"indeterminate:PRIMARY": 5}
            ),
        ]
    )
    assert failover_claim(load_figures(doc), "write-hung", "reference", "w").verdict == "does not hold"


def test_missing_figures_are_not_measured() -> None:
    claims = judge(load_figures(document([])))
    assert {c.verdict for c in claims} == {"not measured"}


def test_judge_puts_both_clients_of_a_claim_side_by_side() -> None:
    claims = judge(load_figures(suite()))
    specs = [c.spec for c in claims]
    assert all(specs[i] == specs[i + 1] for i in range(0, len(specs), 2))
    assert [c.client for c in claims[:2]] == ["reference", "spec_faithful"]
    v = verdicts()
    assert v[("Fast Failover in milliseconds (writes, PRIMARY refusing)", "spec_faithful")] == "holds"
    assert v[("Fast Failover in milliseconds (writes, PRIMARY hung)", "reference")] == "does not hold"


def test_harness_cost_ratios_and_requests_per_second() -> None:
    cost = harness_cost(load_figures(suite()))
    assert cost.reference_vs_raw is not None and abs(cost.reference_vs_raw - 4.6 / 4.4) < 1e-9
    assert cost.rps_direct == 1000 and cost.rps_via_toxiproxy == 800
    assert cost.toxiproxy_slowdown == 1.25
    assert cost.default_refused_vs_tuned is not None and cost.default_refused_vs_tuned > 1000
    empty = harness_cost(())
    assert empty.reference_vs_raw is None and empty.toxiproxy_slowdown is None
