"""The verdict table printed at the end of `fallback-harness run` (rich)."""

from __future__ import annotations

from rich.table import Table

from fallback.report.model import RunRecord

COLOURS = {"pass": "green", "fail": "red", "error": "magenta"}


def verdict_table(record: RunRecord) -> Table:
    clients = record.client_names()
    table = Table(title=f"run {record.run_id}: {record.verdict()}")
    table.add_column("scenario")
    for client in clients:
        table.add_column(client)
    for scenario in record.scenarios:
        cells = []
        for client in clients:
            run = scenario.client(client)
            if run is None:
                cells.append("—")
                continue
            failed = len(run.failed())
            note = f" ({failed} failed)" if failed else ""
            cells.append(f"[{COLOURS[run.verdict]}]{run.verdict}[/]{note}")
        table.add_row(scenario.name, *cells)
    return table
