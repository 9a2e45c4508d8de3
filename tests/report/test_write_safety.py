"""Defect 11: a report directory that is read-only, cannot be created or fills up. Checked before a
run starts; the verdicts are printed even when writing fails later; files and `latest` are replaced
atomically, so a full disk leaves no truncated report.

"Read-only" uses a read-only tmpfs mount: the tests run as root, for whom mode bits deny nothing.
"Full" uses a small tmpfs. Both need `mount`; they are skipped, saying why, where it is not allowed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

import pytest

from fallback.cli import finish_run
from fallback.report import (
    FILES,
    ReportWriteError,
    RunRecord,
    check_report_dir,
    render_html,
    render_junit,
    render_markdown,
    write_report,
)

from .sample import sample_run


@contextmanager
def tmpfs(where: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def fill(directory: Path, leave_bytes: int) -> None:
    """Fill the file system of `directory` until at most `leave_bytes` are free."""
    free = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize
    with (directory / "filler").open("wb") as stream, suppress(OSError):
        stream.write(b"\0" * max(0, free - leave_bytes))


def expected_files(run: RunRecord) -> dict[str, str]:
    return {
        "report.json": run.model_dump_json(indent=2) + "\n",
        "report.md": render_markdown(run),
        "report.html": render_html(run),
        "junit.xml": render_junit(run),
    }


def test_a_report_dir_under_a_file_is_refused_before_anything(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ReportWriteError, match=rf"cannot write reports to {blocker}/reports: Not a directory"):
        check_report_dir(blocker / "reports")


def test_a_missing_report_dir_is_created(tmp_path: Path) -> None:
    assert check_report_dir(tmp_path / "new" / "reports").is_dir()
    assert list((tmp_path / "new" / "reports").iterdir()) == []  # the probe file is gone


def test_a_read_only_report_dir_is_refused(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as read_only:
        with pytest.raises(ReportWriteError, match="Read-only file system"):
            check_report_dir(read_only)
        with pytest.raises(ReportWriteError, match="Read-only file system"):
            check_report_dir(read_only / "reports")


def test_a_nearly_full_report_dir_is_refused(tmp_path: Path) -> None:
    refused = pytest.raises(ReportWriteError, match=r"only 64 KiB free \(at least 16384 KiB\)")
    with tmpfs(tmp_path / "small", "64k") as small, refused:
        check_report_dir(small)


def test_a_full_disk_leaves_no_truncated_report_and_keeps_latest(tmp_path: Path) -> None:
    first = sample_run()
    second = first.model_copy(update={"run_id": "second", "started_at": first.started_at + timedelta(hours=1)})
    with tmpfs(tmp_path / "full", "256k") as reports:
        write_report(first, reports)
        fill(reports, leave_bytes=8 * 1024)  # smaller than report.html (about 27 KB)
        with pytest.raises(ReportWriteError, match="No space left on device"):
            write_report(second, reports)
        written = {p.name: p.read_text(encoding="utf-8") for p in (reports / "second").iterdir()}
        assert set(written) < set(FILES)  # the disk really filled up part way
        assert written == {name: expected_files(second)[name] for name in written}  # nothing truncated
        assert os.readlink(reports / "latest") == first.run_id
        leftovers = [p.name for p in reports.rglob(".*")]
        assert leftovers == []


def test_verdicts_are_printed_when_the_reports_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # made unusable after the check passed, as a disk that fills up mid-run
    code = finish_run(sample_run(), blocker / "reports")
    out, err = capsys.readouterr()
    assert code == 1
    assert "primary-api-down" in out and "stack-broke" in out  # the verdict table, on stdout
    assert "reports not written" in err and "Not a directory" in err
