"""The spec's "Monitoring" section as counters: success rate per source, fallback frequency,
data distribution. Fed with the client's results; read with `snapshot()` as a plain dict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from fallback.client.results import CallResult, LoadResult, RoutedResult, WriteResult


class Metrics:
    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = tuple(sources)
        self.calls_ok: Counter[str] = Counter()
        self.calls_failed: Counter[str] = Counter()
        self.short_circuited: Counter[str] = Counter()
        self.failure_kinds: Counter[tuple[str, str]] = Counter()
        """(source, failure label such as `http_503`): calls."""
        self.loads = 0
        self.loads_primary_failed = 0
        """Loads where the highest-priority source failed but another answered."""
        self.loads_stale = 0
        self.writes = 0
        self.writes_by_source: Counter[str] = Counter()
        self.writes_failed = 0
        self.writes_indeterminate = 0
        self.distribution: dict[str, dict[str, int]] = {}
        """Rows per source in the last load of each table."""

    def _attempts(self, result: LoadResult | WriteResult | RoutedResult | CallResult) -> None:
        for attempt in result.attempts:
            if attempt.ok:
                self.calls_ok[attempt.source] += 1
            elif attempt.kind == "breaker_open":
                self.short_circuited[attempt.source] += 1
            else:
                self.calls_failed[attempt.source] += 1
                self.failure_kinds[(attempt.source, attempt.label)] += 1

    def record_load(self, result: LoadResult) -> None:
        self._attempts(result)
        self.loads += 1
        if result.stale or result.outcome == "fail":
            self.loads_stale += int(result.stale)
            return
        primary = result.attempts[0] if result.attempts else None
        if primary is not None and not primary.ok:
            self.loads_primary_failed += 1
        self.distribution[result.table] = result.counts()

    def record_write(self, result: WriteResult) -> None:
        self._attempts(result)
        self.writes += 1
        if result.outcome == "ok" and result.source is not None:
            self.writes_by_source[result.source] += 1
        elif result.outcome == "indeterminate":
            self.writes_indeterminate += 1
        else:
            self.writes_failed += 1

    def record_update(self, result: RoutedResult | CallResult) -> None:
        """Updates, deletes and calls: their calls count per source."""
        self._attempts(result)

    def success_rate(self, source: str) -> float | None:
        total = self.calls_ok[source] + self.calls_failed[source]
        return self.calls_ok[source] / total if total else None

    def snapshot(self) -> dict[str, Any]:
        primary = self.sources[0] if self.sources else None
        fallback_writes = {s: self.writes_by_source[s] for s in self.sources if s != primary}
        return {
            "sources": {
                s: {
                    "calls_ok": self.calls_ok[s],
                    "calls_failed": self.calls_failed[s],
                    "short_circuited": self.short_circuited[s],
                    "success_rate": self.success_rate(s),
                    "failures": {k: n for (src, k), n in sorted(self.failure_kinds.items()) if src == s},
                }
                for s in self.sources
            },
            "fallback": {
                "loads": self.loads,
                "loads_with_primary_failed": self.loads_primary_failed,
                "loads_stale": self.loads_stale,
                "writes": self.writes,
                "writes_by_source": {s: self.writes_by_source[s] for s in self.sources},
                "writes_to_fallbacks": fallback_writes,
                "write_fallback_rate": (sum(fallback_writes.values()) / self.writes) if self.writes else None,
                "writes_failed": self.writes_failed,
                "writes_indeterminate": self.writes_indeterminate,
            },
            "distribution": {t: dict(c) for t, c in self.distribution.items()},
        }
