"""A tiny simulated run for checker tests: a correct fallback client over three in-memory
sources, recording the history the engine would record. Tests then break the outcome on
purpose (drop a row, copy one, misroute an update, tag a failed source's rows) and expect
the checker to notice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from fallback.history import Event, EventType, History, SourceCall, op_marker, op_token

SOURCES = ("PRIMARY", "BOLT", "OLD")
TABLE = "user_challenges"


@dataclass
class Sim:
    client: str = "reference"
    history: History = field(default_factory=History)
    final: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=lambda: {s: {TABLE: []} for s in SOURCES})
    seed: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {s: {TABLE: []} for s in SOURCES})
    now: float = 0.0

    def tick(self) -> float:
        self.now += 0.01
        return self.now

    def seed_rows(self, counts: dict[str, int]) -> None:
        for source, n in counts.items():
            for i in range(n):
                row_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}:{i}"))
                self.final[source][TABLE].append({"id": row_id, "email": f"user{i}@{source.lower()}.example"})
                self.seed[source][TABLE].append(row_id)

    def rows(self, source: str) -> list[dict[str, Any]]:
        return self.final[source][TABLE]

    def create(self, down: frozenset[str] = frozenset(), ambiguous: str | None = None, commits: bool = True) -> Event:
        """Priority failover; `ambiguous` names a source where the reply is lost (committed or not)."""
        op_id = self.history.new_op_id()
        invoke_marker = op_marker(op_id)
        invoke = self.history.invoke(
            process=0,
            client=self.client,
            op="create",
            table=TABLE,
            time_s=self.tick(),
            op_id=op_id,
            marker=invoke_marker,
        )
        row_id = str(uuid.uuid4())
        calls = []
        for source in SOURCES:
            if source == ambiguous:
                calls.append(SourceCall(source=source, kind="timeout", ambiguous=True))
                if commits:
                    self.rows(source).append({"id": row_id, "email": invoke_marker})
                return self.history.complete(
                    invoke,
                    "indeterminate",
                    time_s=self.tick(),
                    source=source,
                    row_id=row_id,
                    calls=tuple(calls),
                    error="timeout",
                )
            if source in down:
                calls.append(SourceCall(source=source, kind="refused"))
                continue
            self.rows(source).append({"id": row_id, "email": invoke_marker})
            calls.append(SourceCall(source=source, kind="ok"))
            return self.history.complete(
                invoke, "ok", time_s=self.tick(), source=source, row_id=row_id, calls=tuple(calls)
            )
        return self.history.complete(invoke, "fail", time_s=self.tick(), calls=tuple(calls), error="all_failed")

    def resolve(self, create: Event, outcome: str, source: str | None) -> Event:
        invoke = self.history.operation(create.op_id).invoke
        found = (source,) if source else ()
        return self.history.complete(
            invoke, "resolve", time_s=self.tick(), outcome=outcome, source=source, found_in=found
        )

    def assign(self, source: str, index: int, down: frozenset[str] = frozenset()) -> Event:
        row = self.rows(source)[index]
        op_id = self.history.new_op_id()
        changes = {"mt5_login": op_token(op_id), "mt5_server": "Demo"}
        invoke = self.history.invoke(
            process=1,
            client=self.client,
            op="assign_mt5",
            table=TABLE,
            time_s=self.tick(),
            op_id=op_id,
            row_id=row["id"],
            row_source=source,
            changes=changes,
        )
        if source in down:
            call = SourceCall(source=source, kind="refused")
            return self.history.complete(invoke, "fail", time_s=self.tick(), calls=(call,), error="source_unavailable")
        row.update(changes)
        call = SourceCall(source=source, kind="ok")
        return self.history.complete(invoke, "ok", time_s=self.tick(), source=source, row_id=row["id"], calls=(call,))

    def load(self, down: frozenset[str] = frozenset()) -> Event:
        invoke = self.history.invoke(process=2, client=self.client, op="load", table=TABLE, time_s=self.tick())
        calls = tuple(SourceCall(source=s, kind="refused" if s in down else "ok") for s in SOURCES)
        rows = {s: tuple(r["id"] for r in self.rows(s)) for s in SOURCES if s not in down}
        outcome: EventType = "ok" if len(down) < len(SOURCES) else "fail"
        return self.history.complete(
            invoke, outcome, time_s=self.tick(), calls=calls, rows_by_source=rows, degraded=bool(down), stale=False
        )
