"""The spec's "Console Logs You'll See", emitted through `logging` (logger `fallback.client`).

Both clients log exactly these lines, so a test (or an operator) can compare them with the
spec. Messages carry failure kinds and redacted texts only: never keys, tokens or passwords.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fallback.client.results import Attempt, LoadResult

log = logging.getLogger("fallback.client")

_NOUNS = {"user_challenges": "challenges", "profiles": "profiles"}


def noun(table: str) -> str:
    return _NOUNS.get(table, table)


def loading(sources: Sequence[str]) -> None:
    log.info(" Loading data from ALL databases (%s)...", " + ".join(sources))


def source_answer(table: str, attempt: Attempt) -> None:
    if attempt.ok:
        log.info("✅ %s Database: Found %d %s", attempt.source, attempt.count or 0, noun(table))
    else:
        reason = attempt.label if not attempt.message else f"{attempt.label} ({attempt.message})"
        log.warning("⚠ %s Database unavailable: %s", attempt.source, reason)


def merged(result: LoadResult) -> None:
    log.info(" MERGED: Total %s: %d", noun(result.table), 0 if result.stale else len(result.rows))
    if result.outcome == "fail":
        if result.stale:
            log.warning(
                "⚠ No databases available - showing cached data (%d rows, %.0f s old)",
                len(result.rows),
                result.stale_age_s or 0.0,
            )
        else:
            log.warning("⚠ No databases available - showing cached data")
            log.error(" No cached data for %s: %s", result.table, result.error or "no snapshot")
        return
    for source, count in result.counts().items():
        log.info("   - From %s DB: %d", source, count)
    if result.duplicates:
        log.warning(
            "⚠ MERGE: %d rows found in several databases; kept the higher-priority copy",
            len(result.duplicates),
        )
    if result.attempts and not result.attempts[0].ok:
        log.warning("⚠ System using fallback databases")


def assigning(source: str) -> None:
    log.info(" Assigning credentials to %s DB...", source)


def assigned(source: str, ok: bool, why: str = "") -> None:
    if ok:
        log.info("✅ Credentials assigned successfully in %s DB", source)
    else:
        log.error(" Failed to assign credentials in %s DB: %s", source, why)


def write_landed(table: str, source: str | None, outcome: str, row_id: str | None) -> None:
    if outcome == "ok":
        log.info("✅ Record saved to %s (%s %s)", source, noun(table), row_id)
    elif outcome == "indeterminate":
        log.warning(" Record %s may or may not be saved: pending resolution", row_id)
    else:
        log.error(" Could not save record to any database")
