"""Write a run's four files to `<report_dir>/<run-id>/` and point `<report_dir>/latest` at the
newest run directory (by `started_at`, so re-writing an old run does not move it back).

Every file is written to a temporary file beside it, flushed to disk, then renamed over the
target; the `latest` link is swapped the same way. A full disk or a lost directory therefore
never leaves a truncated report or a `latest` pointing at an incomplete run: the write fails
with `ReportWriteError` and whatever was there before stays as it was. `check_report_dir` tells,
before a run starts, whether the directory can hold reports at all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from pydantic import ValidationError

from fallback.report.html import render_html
from fallback.report.junit import render_junit
from fallback.report.markdown import render_markdown
from fallback.report.model import RunRecord

FILES = ("report.json", "report.md", "report.html", "junit.xml")
MIN_FREE_BYTES = 16 * 1024 * 1024
"""`check_report_dir` refuses a directory with less free space: a full run's reports take a few MB."""


class ReportWriteError(OSError):
    """The report directory cannot be created or written (read-only, under a file, full disk)."""


def load_report(path: str | Path) -> RunRecord:
    """Read a `report.json` (or the run directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    return RunRecord.model_validate_json(path.read_text(encoding="utf-8"))


def check_report_dir(report_dir: str | Path, min_free_bytes: int = MIN_FREE_BYTES) -> Path:
    """Create `report_dir` if needed and prove a file can be written there; raises `ReportWriteError`.

    Meant to run before anything starts, so a run cannot go for minutes and then lose its reports.
    """
    report_dir = Path(report_dir)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=report_dir, prefix=".write-check-") as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
        free = shutil.disk_usage(report_dir).free
    except OSError as exc:
        raise ReportWriteError(f"cannot write reports to {report_dir}: {exc.strerror or exc}") from exc
    if free < min_free_bytes:
        needed = f"at least {min_free_bytes // 1024} KiB"
        raise ReportWriteError(f"cannot write reports to {report_dir}: only {free // 1024} KiB free ({needed})")
    return report_dir


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` all at once: a temporary file beside it, fsynced, then renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


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
    try:
        temporary.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(temporary, latest)  # atomic: readers see the old or the new target, never none
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_report(run: RunRecord, report_dir: str | Path = "reports") -> Path:
    """Write report.json, report.md, report.html and junit.xml; return the run directory.

    Raises `ReportWriteError` when a file cannot be written; `latest` then still points at the run before.
    """
    report_dir = Path(report_dir)
    run_dir = report_dir / run.run_id
    contents = {
        "report.json": run.model_dump_json(indent=2) + "\n",
        "report.md": render_markdown(run),
        "report.html": render_html(run),
        "junit.xml": render_junit(run),
    }
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        for name, text in contents.items():
            write_atomic(run_dir / name, text)
        if _newest(report_dir, run):
            _point_latest(report_dir, run_dir)
    except FileExistsError:
        raise
    except OSError as exc:
        raise ReportWriteError(f"cannot write reports to {run_dir}: {exc.strerror or exc}") from exc
    return run_dir
