"""Synthetic pytest-benchmark JSON documents, shaped like the ones `benchmarks/` writes."""

from __future__ import annotations

import statistics
from typing import Any

from fallback.bench.labels import Label
from fallback.stats import percentile


def entry(label: Label, median_ms: float, *, rounds: int = 5, spread: float = 0.1, **info: Any) -> dict[str, Any]:
    """One benchmark whose rounds are spread evenly +-`spread` around `median_ms`."""
    median = median_ms / 1000
    data = [median] if rounds == 1 else [median * (1 - spread + 2 * spread * i / (rounds - 1)) for i in range(rounds)]
    stats = {
        "min": min(data),
        "max": max(data),
        "mean": statistics.fmean(data),
        "stddev": statistics.stdev(data) if len(data) > 1 else 0.0,
        "rounds": rounds,
        "median": statistics.median(data),
        "iqr": percentile(data, 75) - percentile(data, 25),
        "q1": percentile(data, 25),
        "q3": percentile(data, 75),
        "iqr_outliers": 0,
        "stddev_outliers": 0,
        "outliers": "0;0",
        "ld15iqr": min(data),
        "hd15iqr": max(data),
        "ops": 1 / statistics.fmean(data),
        "total": sum(data),
        "data": data,
        "iterations": 1,
    }
    extra = {**label.extra_info(), "outcomes": info.pop("outcomes", {"ok": rounds}), **info}
    name = f"test_{label.scenario}[{label.variant}]"
    return {
        "group": label.group,
        "name": name,
        "fullname": f"benchmarks/x.py::{name}",
        "extra_info": extra,
        "stats": stats,
    }


def document(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "machine_info": {
            "system": "Linux",
            "release": "6.x",
            "python_version": "3.11.7",
            "cpu": {"brand_raw": "Test CPU", "count": 2},
        },
        "commit_info": {"id": "0123456789abcdef", "dirty": False},
        "benchmarks": entries,
        "datetime": "2026-11-25T00:00:00+00:00",
        "version": "5.3.1",
    }


def suite() -> dict[str, Any]:
    """A whole run: reference parallel (~1 request), spec-faithful sequential (~3 requests)."""
    e: list[dict[str, Any]] = []
    for ms in (0, 20, 100):
        floor = 2 + ms
        e.append(entry(Label("read", "single_source", role="floor", latency_ms=ms), floor))
        e.append(
            entry(
                Label("read", "reference", client="reference", latency_ms=ms),
                floor + 3,
                outcomes={"ok:PRIMARY+BOLT+OLD": 5},
            )
        )
        e.append(
            entry(
                Label("read", "spec_faithful", client="spec_faithful", latency_ms=ms),
                3 * floor + 1,
                outcomes={"ok:PRIMARY+BOLT+OLD": 5},
            )
        )
    e.append(entry(Label("read-primary-refused", "single_source", role="floor"), 2))
    e.append(entry(Label("read-primary-refused", "reference", client="reference"), 9, outcomes={"ok:BOLT+OLD": 5}))
    e.append(
        entry(Label("read-primary-refused", "reference_adaptive", client="reference"), 9, outcomes={"ok:BOLT+OLD": 5})
    )
    e.append(
        entry(
            Label("read-primary-refused", "spec_faithful", client="spec_faithful"),
            7020,
            rounds=1,
            outcomes={"ok:BOLT+OLD": 1},
        )
    )
    e.append(entry(Label("read-primary-hung", "single_source", role="floor"), 2))
    e.append(
        entry(
            Label("read-primary-hung", "reference_deadline", client="reference"),
            2010,
            rounds=2,
            outcomes={"ok:BOLT+OLD": 2},
        )
    )
    e.append(
        entry(
            Label("read-primary-hung", "reference_adaptive", client="reference"),
            102,
            rounds=2,
            outcomes={"ok:BOLT+OLD": 2},
        )
    )
    e.append(
        entry(Label("read-primary-hung", "reference_breaker_open", client="reference"), 5, outcomes={"ok:BOLT+OLD": 5})
    )
    e.append(
        entry(
            Label("read-primary-hung", "spec_faithful", client="spec_faithful", bound_s=5.0),
            5000,
            rounds=1,
            hit_bound=True,
            outcomes={"bounded": 1},
        )
    )
    e.append(entry(Label("write-failover", "direct_bolt", role="floor"), 2.5))
    for variant, ms, outcome, bounded in (
        ("reference_refused", 6, "ok:BOLT", False),
        ("reference_hung", 4100, "indeterminate:PRIMARY", False),
        ("reference_breaker_open", 3, "ok:BOLT", False),
        ("spec_faithful_refused", 3, "ok:BOLT", False),
        ("spec_faithful_hung", 5000, "bounded", True),
    ):
        client = "reference" if variant.startswith("reference") else "spec_faithful"
        e.append(entry(Label("write-failover", variant, client=client), ms, outcomes={outcome: 5}, hit_bound=bounded))
    for rows, concat_ms, dedup_ms in ((1000, 0.3, 0.4), (10000, 3, 5), (100000, 40, 180)):
        e.append(entry(Label("merge", "concat", role="floor", client="spec_faithful", rows=rows), concat_ms))
        e.append(entry(Label("merge", "dedup", client="reference", rows=rows), dedup_ms))
    e.append(entry(Label("supabase-refused", "default_healthy", role="floor"), 2.2))
    e.append(
        entry(
            Label("supabase-refused", "default_refused", client="spec_faithful"),
            7030,
            rounds=1,
            outcomes={"ConnectError": 1},
        )
    )
    e.append(entry(Label("supabase-refused", "tuned_refused", client="reference"), 0.7, outcomes={"refused": 5}))
    e.append(entry(Label("overhead-merged", "raw_httpx_parallel", role="floor"), 4.4))
    e.append(entry(Label("overhead-merged", "reference", client="reference"), 4.6))
    e.append(entry(Label("overhead-single", "raw_httpx_single", role="floor"), 2.0))
    e.append(entry(Label("overhead-single", "supabase_default"), 2.2))
    e.append(entry(Label("gateway-throughput", "direct", role="floor", batch=50), 50))
    e.append(entry(Label("gateway-throughput", "via_toxiproxy", batch=50), 62.5))
    return document(e)
