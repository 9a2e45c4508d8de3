"""Reading many `report.json` files for `report trend`: only the fields a trend needs, from every
schema version this harness has written, each file named in any error.

`RunRecord` itself forbids unknown fields and types every nested value (the checker's failure
kinds became a closed set in version 1's lifetime), so an older or a newer file would fail it for
fields a trend never reads. These models read the subset a trend uses and ignore the rest:

    version 1   no `schema_version` field: every report written before it existed (from the first
                report.json on). `claims`, `drill` and `explore` appeared during it: absent is empty.
    version 2   `schema_version: 2`; nothing the trend reads changed.

A file whose version is newer than `SCHEMA_VERSION`, or that lacks a field the trend needs, is
refused with `TrendInputError`: file, version and field in the message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from fallback.report.model import SCHEMA_VERSION, Verdict

__all__ = [
    "TrendCheckViolation",
    "TrendClient",
    "TrendInputError",
    "TrendRun",
    "TrendScenario",
    "find_reports",
    "load_trend_runs",
    "read_trend_run",
]


class TrendInputError(ValueError):
    """A report that cannot be read: not found, not JSON, too new, or missing a field."""


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class TrendExpectation(_Lenient):
    name: str
    expected: str = ""
    observed: str = ""
    passed: bool


class TrendPoint(_Lenient):
    op: str
    latency_ms: float
    outcome: str


class TrendCheckViolation(_Lenient):
    kind: str


class TrendChecker(_Lenient):
    violations: tuple[TrendCheckViolation, ...] = ()


class TrendFaultTiming(_Lenient):
    target: str
    toxic: str
    time_to_fail_over_s: float | None = None
    time_to_recover_s: float | None = None


class TrendDrill(_Lenient):
    availability: float | None = None
    lost: int = 0
    duplicated: int = 0
    faults: tuple[TrendFaultTiming, ...] = ()


class TrendClient(_Lenient):
    client: str
    verdict: Verdict
    expectations: tuple[TrendExpectation, ...] = ()
    claims: tuple[TrendExpectation, ...] = ()
    checker: TrendChecker | None = None
    latency: tuple[TrendPoint, ...] = ()
    drill: TrendDrill | None = None


class TrendScenario(_Lenient):
    name: str
    clients: tuple[TrendClient, ...] = ()


class TrendRun(_Lenient):
    schema_version: int = 1
    run_id: str
    started_at: datetime
    git_commit: str | None = None
    scenarios: tuple[TrendScenario, ...] = ()
    source: str = ""
    """The file it was read from (set by `read_trend_run`, not part of report.json)."""


def read_trend_run(path: Path) -> TrendRun:
    """One `report.json`; raises `TrendInputError` naming the file (and its version) on any problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrendInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrendInputError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TrendInputError(f"{path}: not a fallback-harness report.json (a JSON {type(data).__name__})")
    version = data.get("schema_version", 1)
    label = f"schema version {version}" + (" (no schema_version field)" if "schema_version" not in data else "")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TrendInputError(f"{path}: schema_version must be a whole number >= 1, got {version!r}")
    if version > SCHEMA_VERSION:
        raise TrendInputError(
            f"{path}: {label} is newer than this harness reads (1 to {SCHEMA_VERSION}): update fallback-harness"
        )
    try:
        run = TrendRun.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise TrendInputError(
            f"{path}: not a readable fallback-harness report.json ({label}): {field}: {first['msg']}"
        ) from exc
    return run.model_copy(update={"source": str(path)})


def find_reports(paths: Iterable[Path]) -> list[Path]:
    """The `report.json` files named by `paths`: a file as given; a run directory's `report.json`; a
    reports directory's `<run-id>/report.json` files (its `latest` link skipped: it names one of them)."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif (path / "report.json").is_file():
            found.append(path / "report.json")
        elif path.is_dir():
            found += sorted(
                child / "report.json"
                for child in path.iterdir()
                if child.name != "latest" and (child / "report.json").is_file()
            )
        else:
            raise TrendInputError(f"{path}: no such file or directory")
    return found


def load_trend_runs(paths: Sequence[Path], last: int | None = None) -> tuple[TrendRun, ...]:
    """Every run named by `paths`, oldest first (by `started_at`), one per run id; `last`: the newest N."""
    files = find_reports(paths)
    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise TrendInputError(f"no report.json found in {shown}")
    runs: dict[str, TrendRun] = {}
    for file in files:
        run = read_trend_run(file)
        runs.setdefault(run.run_id, run)
    ordered = sorted(runs.values(), key=lambda r: (r.started_at, r.run_id))
    return tuple(ordered[-last:] if last else ordered)
