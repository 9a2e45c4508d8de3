"""report.md escapes text that comes from scenarios, clients and errors, as report.html and junit.xml do."""

from __future__ import annotations

import re

from fallback.report import ClientRun, Expectation, RunRecord, ScenarioRun, render_markdown

from .sample import sample_run

HOSTILE = "<img src=x onerror=alert(1)> & <script>alert(2)</script>"


def hostile_run() -> RunRecord:
    client = ClientRun(
        client="reference",
        verdict="fail",
        expectations=(
            Expectation(name="log_contains", expected=HOSTILE, observed=f"not seen | {HOSTILE}", passed=False),
        ),
    )
    broken = ClientRun(client="spec", verdict="error", error=f"boom\n```\n{HOSTILE}\n```")
    scenario = ScenarioRun(name="hostile", description=HOSTILE, clients=(client, broken))
    return sample_run().model_copy(update={"scenarios": (scenario,)})


def test_markdown_has_no_raw_html_from_the_run() -> None:
    text = render_markdown(hostile_run())
    outside_code = re.sub(r"^(`{3,})\n.*?^\1$", "", text, flags=re.S | re.M)  # code blocks render no HTML
    assert HOSTILE in text and outside_code != text
    assert "<img" not in outside_code and "<script>" not in outside_code
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;" in text
    assert "not seen \\| &lt;img" in text  # still one table cell


def test_a_fence_inside_an_error_does_not_end_its_code_block() -> None:
    lines = render_markdown(hostile_run()).splitlines()
    opening = lines.index("The run itself failed:") + 2
    assert lines[opening] == "````"
    assert lines[opening + 1 : opening + 6] == ["boom", "```", HOSTILE, "```", "````"]
