"""Inline SVG charts for every report, drawn in Python: pages need no script, no network, no plotting library.

Run reports (`report.html`, drills), `fallback.svg.run`:
    latency_plot    latency over time, one mark per operation, fault windows shaded
    bar_chart       one horizontal bar per key, a share 0..1 (success rate, fallback frequency)
    distribution    rows per source, one stacked bar per table
    availability    a drill's availability per second, fault windows shaded
Benchmark report (`bench.html` and its `.svg` files, which carry `xmlns` to open on their own), `fallback.svg.bench`:
    line_chart      median per series against an x value, a p95 whisker on each point
    log_bar_chart   milliseconds on a log scale; a bar cut short by a bound is hatched, shown as ">="
Trends across runs (`trend.html`), `fallback.svg.trend`:
    sparkline       one value per run, regressions ringed
    verdict_strip   one square per run coloured by verdict, flaky runs outlined

Hand-written rather than matplotlib & co: a dependency of tens of megabytes (and a font cache) for
nine small charts, and their SVG output embeds fonts and ids that bloat a self-contained page.
"""

from fallback.svg.bench import Bar, Point, Series, line_chart, log_bar_chart
from fallback.svg.run import availability, bar_chart, distribution, latency_plot
from fallback.svg.trend import sparkline, verdict_strip

__all__ = [
    "Bar",
    "Point",
    "Series",
    "availability",
    "bar_chart",
    "distribution",
    "latency_plot",
    "line_chart",
    "log_bar_chart",
    "sparkline",
    "verdict_strip",
]
