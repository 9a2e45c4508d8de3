"""Write a run's four files to `<report_dir>/<run-id>/` and point `<report_dir>/latest` at the
newest run directory (by `started_at`, so re-writing an old run does not move it back)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from pydantic import ValidationError

from fallback.report.html import render_html
from fallback.report.junit import render_junit
from fallback.report.markdown import render_markdown
from fallback.report.model import RunRecord

FILES = ("report.json", "report.md", "report.html", "junit.xml")


def load_report(path: str | Path) -> RunRecord:
    """Read a `report.json` (or the run directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    return RunRecord.model_validate_json(path.read_text(encoding="utf-8"))


def _newest(report_dir: Path, run: RunRecord) -> bool:
    try:
        current = load_report(report_dir / "latest")
    except (OSError, ValueError, ValidationError):
        return True
    return run.started_at >= current.started_at


def _point_latest(report_dir: Path, run_dir: Path) -> None:
    latest = report_dir / "latest"
    if latest.exists() and not latest.is_symlink():
        raise FileExistsError(f"{latest} exists and is not a symlink: move it away so it can point at the newest run")
    temporary = report_dir / f".latest-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(run_dir.name, target_is_directory=True)
    os.replace(temporary, latest)  # atomic: readers see the old or the new target, never none


def write_report(run: RunRecord, report_dir: str | Path = "reports") -> Path:
    """Write report.json, report.md, report.html and junit.xml; return the run directory."""
    report_dir = Path(report_dir)
    run_dir = report_dir / run.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    contents = {
        "report.json": run.model_dump_json(indent=2) + "\n",
        "report.md": render_markdown(run),
        "report.html": render_html(run),
        "junit.xml": render_junit(run),
    }
    for name, text in contents.items():
        (run_dir / name).write_text(text, encoding="utf-8")
    if _newest(report_dir, run):
        _point_latest(report_dir, run_dir)
    return run_dir
