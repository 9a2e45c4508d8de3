"""Trend charts (`report trend`'s `trend.html`): one small chart per row of a table.
sparkline       one value per run (a gap where a run has none), flagged runs ringed in red
verdict_strip   one square per run, coloured by verdict, flaky runs outlined
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from fallback.svg._base import svg_doc

VERDICT_COLOURS = {"pass": "#2ca02c", "fail": "#d62728", "error": "#ff7f0e"}
FLAG_COLOUR = "#d62728"


def sparkline(
    values: Sequence[float | None],
    title: str,
    labels: Sequence[str] = (),
    flagged: Sequence[int] = (),
    width: int = 150,
    height: int = 30,
    unit: str = "ms",
) -> str:
    """`values` (one per run, oldest first; None: the run has no figure) as a line scaled to their own
    range; `flagged` indices (regressions) are ringed; `labels[i]` is run i's tooltip."""
    pad = 4
    known = [v for v in values if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    span = high - low or max(abs(high), 1.0)
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + i * step, height - pad - (v - low) / span * (height - 2 * pad)

    body: list[str] = []
    run: list[str] = []
    for i, value in enumerate(values):
        if value is None:  # a gap: the line does not join runs across a run without the figure
            if len(run) > 1:
                body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="#4c72b0" stroke-width="1.5"/>')
            run = []
            continue
        x, y = xy(i, value)
        run.append(f"{x:.1f},{y:.1f}")
    if len(run) > 1:
        body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="#4c72b0" stroke-width="1.5"/>')
    for i, value in enumerate(values):
        if value is None:
            continue
        x, y = xy(i, value)
        label = labels[i] if i < len(labels) else f"run {i + 1}"
        tip = f"<title>{escape(f'{label}: {value:.4g} {unit}'.rstrip())}</title>"
        if i in flagged:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="none" stroke="{FLAG_COLOUR}" '
                f'stroke-width="1.5">{tip}</circle>'
            )
        else:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#4c72b0">{tip}</circle>')
    return svg_doc(width, height, body, title)


def verdict_strip(
    verdicts: Sequence[str | None], title: str, labels: Sequence[str] = (), flaky: Sequence[int] = ()
) -> str:
    """One square per run, oldest first: green pass, red fail, orange error, grey when the run did not
    have this scenario and client; a run whose commit saw another verdict too (`flaky`) is outlined."""
    size, gap = 12, 3
    width = max(len(verdicts), 1) * (size + gap) + gap
    body = []
    for i, verdict in enumerate(verdicts):
        label = labels[i] if i < len(labels) else f"run {i + 1}"
        colour = VERDICT_COLOURS.get(verdict or "", "#ddd")
        outline = f' stroke="{FLAG_COLOUR}" stroke-width="2"' if i in flaky else ""
        extra = " (flaky: this commit saw another verdict)" if i in flaky else ""
        tip = escape(f"{label}: {verdict or 'not run'}{extra}")
        body.append(
            f'<rect class="verdict" x="{gap + i * (size + gap)}" y="3" width="{size}" height="{size}" '
            f'fill="{colour}"{outline}><title>{tip}</title></rect>'
        )
    return svg_doc(width, size + 6, body, title)
