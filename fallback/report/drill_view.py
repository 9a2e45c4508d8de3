"""A drill's generator figures in words, shared by `drill.md`, `report.md` and `report.html`."""

from __future__ import annotations

import statistics

from fallback.report.model import DrillFigures

__all__ = ["cpu_text", "generator_line", "ms_text", "saturation_line"]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def ms_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def cpu_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def generator_line(figures: DrillFigures) -> str:
    """What the load generator achieved: rate sent, its lag, the loop's worst stall, what it shed."""
    sent = "–" if figures.sent_per_s is None else f"{figures.sent_per_s:g}/s"
    lag = f"lag p50 {ms_text(figures.lag_p50_ms)}, p99 {ms_text(figures.lag_p99_ms)}"
    stall = ms_text(figures.stall_max_ms)
    return f"sent {sent} of {figures.rate_per_s:g}/s asked; {lag}; longest loop stall {stall}; shed {figures.shed}"


def saturation_line(figures: DrillFigures) -> str:
    """The harness's own saturation, said plainly, and what it did with the operations it touched."""
    seconds = len(figures.saturated_seconds)
    pressures = [b.cpu_pressure_pct for b in figures.per_second if b.cpu_pressure_pct is not None]
    machine = f" (CPU pressure, median {statistics.median(pressures):.0f}%)" if pressures else ""
    return (
        f"harness saturated in {seconds} of {len(figures.per_second)} s: this machine{machine} or this process "
        f"could not keep {figures.rate_per_s:g}/s. {figures.shed} operations were never sent; {figures.excluded} "
        f"sent while the harness could not keep up ({figures.excluded_failed} of them failed) are not counted "
        f"against the system's availability (counting every operation: {_pct(figures.availability_all)}). "
        "Lower --rate for figures of the system alone"
    )
