"""Run reports: one typed record (`RunRecord`) and its renderers.

run_dir = write_report(run, "reports")   # reports/<run-id>/{report.json,report.md,report.html,junit.xml}

Across runs (`fallback-harness report trend`):
trend = build_trend(load_trend_runs([Path("reports")]))   # every schema version, oldest run first
write_trend(trend, Path("reports/trend"))                  # trend.html, trend.md
"""

from fallback.report.explore import (
    Counterexample,
    CoverageRow,
    ExploreSummary,
    FlakyViolation,
    InvariantSummary,
)
from fallback.report.html import render_html
from fallback.report.junit import render_junit
from fallback.report.markdown import render_markdown
from fallback.report.model import (
    SCHEMA_VERSION,
    ClientRun,
    Expectation,
    FaultSpan,
    LatencyPoint,
    MachineInfo,
    RunRecord,
    ScenarioRun,
    Verdict,
    git_commit,
    machine_info,
    new_run_id,
    worst,
)
from fallback.report.schema import report_schema, schema_text
from fallback.report.trend import Trend, build_trend
from fallback.report.trend_input import TrendInputError, load_trend_runs
from fallback.report.trend_render import render_trend_html, render_trend_markdown, write_trend
from fallback.report.write import FILES, ReportWriteError, check_report_dir, load_report, write_atomic, write_report

__all__ = [
    "FILES",
    "SCHEMA_VERSION",
    "ClientRun",
    "Counterexample",
    "CoverageRow",
    "Expectation",
    "ExploreSummary",
    "FaultSpan",
    "FlakyViolation",
    "InvariantSummary",
    "LatencyPoint",
    "MachineInfo",
    "ReportWriteError",
    "RunRecord",
    "ScenarioRun",
    "Trend",
    "TrendInputError",
    "Verdict",
    "build_trend",
    "check_report_dir",
    "git_commit",
    "load_report",
    "load_trend_runs",
    "machine_info",
    "new_run_id",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_trend_html",
    "render_trend_markdown",
    "report_schema",
    "schema_text",
    "worst",
    "write_atomic",
    "write_report",
    "write_trend",
]
