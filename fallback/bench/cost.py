"""The harness's own cost: what our clients add on top of raw HTTP, and what the gateway sustains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fallback.bench.figures import Figure, find
from fallback.bench.labels import OVERHEAD_MERGED, OVERHEAD_SINGLE, REFERENCE, SUPABASE_REFUSED, THROUGHPUT


def _ratio(top: Figure | None, bottom: Figure | None) -> float | None:
    if top is None or bottom is None or bottom.median_s <= 0:
        return None
    return top.median_s / bottom.median_s


def _rps(figure: Figure | None) -> float | None:
    if figure is None or figure.label.batch is None or figure.median_s <= 0:
        return None
    return figure.label.batch / figure.median_s


@dataclass(frozen=True)
class HarnessCost:
    reference_vs_raw: float | None
    """Reference client's merged read / three parallel raw httpx GETs + concat."""
    supabase_vs_raw: float | None
    """supabase-py (defaults) one read / one raw httpx GET."""
    rps_via_toxiproxy: float | None
    rps_direct: float | None
    default_refused_vs_tuned: float | None
    """supabase-py's default retries on a refused GET / the tuned options on the same refusal."""

    @property
    def toxiproxy_slowdown(self) -> float | None:
        if self.rps_via_toxiproxy is None or self.rps_direct is None or self.rps_via_toxiproxy <= 0:
            return None
        return self.rps_direct / self.rps_via_toxiproxy


def harness_cost(figures: Sequence[Figure]) -> HarnessCost:
    return HarnessCost(
        reference_vs_raw=_ratio(
            find(figures, OVERHEAD_MERGED, REFERENCE), find(figures, OVERHEAD_MERGED, "raw_httpx_parallel")
        ),
        supabase_vs_raw=_ratio(
            find(figures, OVERHEAD_SINGLE, "supabase_default"), find(figures, OVERHEAD_SINGLE, "raw_httpx_single")
        ),
        rps_via_toxiproxy=_rps(find(figures, THROUGHPUT, "via_toxiproxy")),
        rps_direct=_rps(find(figures, THROUGHPUT, "direct")),
        default_refused_vs_tuned=_ratio(
            find(figures, SUPABASE_REFUSED, "default_refused"), find(figures, SUPABASE_REFUSED, "tuned_refused")
        ),
    )
