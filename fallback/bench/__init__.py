"""Latency-overhead benchmarks and the verdict on the spec's performance claims.

The suite itself lives in `benchmarks/` (pytest-benchmark, on the real stack); this package runs
it (`run`), reads its JSON into figures and ratios (`figures`), judges the spec's claims
(`claims`), measures the harness's own cost (`cost`) and renders the report (`render`; charts from `fallback.svg`).
"""

from fallback.bench.claims import Claim, judge
from fallback.bench.figures import Figure, Ratio, load_figures, ratios
from fallback.bench.labels import Label, Profile
from fallback.bench.report import BenchReport, build_report
from fallback.bench.run import BenchError, BenchRun, run_bench

__all__ = [
    "BenchError",
    "BenchReport",
    "BenchRun",
    "Claim",
    "Figure",
    "Label",
    "Profile",
    "Ratio",
    "build_report",
    "judge",
    "load_figures",
    "ratios",
    "run_bench",
]
