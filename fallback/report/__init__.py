"""Run reports: one typed record (`RunRecord`) and its renderers.

run_dir = write_report(run, "reports")   # reports/<run-id>/{report.json,report.md,report.html,junit.xml}
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
from fallback.report.write import FILES, ReportWriteError, check_report_dir, load_report, write_atomic, write_report

__all__ = [
    "FILES",
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
    "Verdict",
    "check_report_dir",
    "git_commit",
    "load_report",
    "machine_info",
    "new_run_id",
    "render_html",
    "render_junit",
    "render_markdown",
    "report_schema",
    "schema_text",
    "worst",
    "write_atomic",
    "write_report",
]
