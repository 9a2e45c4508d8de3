"""Time `generate_rows` for a 10-column table (the figure quoted in fallback/project/rows.py's report).

    .venv/bin/python scripts/time_rows.py [ROWS]

Measures and prints; asserts nothing (a timing depends on the machine and its load).
"""

from __future__ import annotations

import statistics
import sys
import time

from fallback.project.rows import RowContext, generate_rows
from fallback.project.schema import Column, TableSchema


def _column(name: str, base: str, **facts: object) -> Column:
    return Column.model_validate(
        {"name": name, "type": base, "base_type": base, "nullable": False, "has_default": False, **facts}
    )


TABLE = TableSchema(
    schema_name="public",
    name="orders",
    columns=(
        _column("id", "uuid", has_default=True),
        _column("user_id", "uuid"),
        _column("email", "text"),
        _column("note", "varchar", max_length=40, nullable=True),
        _column("qty", "int4", checks=("CHECK ((qty > 0))",)),
        _column(
            "amount", "numeric", numeric_precision=12, numeric_scale=2, checks=("CHECK ((amount >= (0)::numeric))",)
        ),
        _column("state", "order_state", enum_values=("new", "paid", "void")),
        _column("paid", "bool"),
        _column("meta", "jsonb", has_default=True),
        _column("created_at", "timestamptz", has_default=True),
    ),
    primary_key=("id",),
    owner_column="user_id",
)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    context = RowContext(user_id="00000000-0000-4000-8000-000000000001")
    times, cpu = [], []
    for seed in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        generate_rows(TABLE, rows, seed=seed, context=context)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(f"CPU time: median {statistics.median(cpu):.3f} s; wall clock (includes waiting for a busy machine's CPU):")
    print(
        f"{rows} rows x {len(TABLE.columns)} columns: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s (5 runs)"
    )


if __name__ == "__main__":
    main()
