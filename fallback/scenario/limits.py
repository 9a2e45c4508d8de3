"""Upper limits on every size and count a scenario file can state.

Without them a one-line typo (`user_challenges: {PRIMARY: 1000000000000}`, `concurrency: 1000000`)
validates and then exhausts the machine's memory at run time. Each limit is generous for a test
on one machine and small enough that reaching it cannot take the harness down; FORMAT.md lists
them ("Limits"). The loader checks them with the other rules, naming file, line and field.
"""

from __future__ import annotations

MAX_FILE_BYTES = 1024 * 1024
"""A scenario file larger than 1 MiB is not read at all."""
MAX_NAME_CHARS = 100
"""`name` names report files; file systems allow 255 bytes per name."""
MAX_SEED_ROWS = 100_000
"""Rows per table per source (seeding builds them in memory before copying them in)."""
MAX_STEPS = 200
"""Operation steps in a workload, those inside groups included."""
MAX_COUNT = 100_000
"""`count` of one step; also the most operations one step may plan (`rate × duration`)."""
MAX_CONCURRENCY = 100
"""Workers of one step."""
MAX_WORKERS = 256
"""Workers running at the same time over the whole workload (parallel steps and groups add up)."""
MAX_RATE_PER_S = 5_000.0
"""`rate` of one step, in operations per second."""
MAX_DURATION_S = 3600.0
"""A step's `duration`, a fault's `at` / `until` / flap `period`, and the workload's planned length."""
MAX_OP_DEADLINE_S = 600.0
"""`op_deadline` (and `--op-deadline`): the harness's bound on one client call."""
MAX_FAULTS = 100
"""Entries in `faults`."""
MAX_FAULT_WINDOWS = 10_000
"""Concrete fault windows of the whole scenario, flaps expanded."""
MAX_ATTRIBUTE = 2**31 - 1
"""A toxic attribute value (Toxiproxy decodes them as 64-bit integers; this stays clear of overflow)."""
MAX_LOG_TEXTS = 100
"""Entries in `log_contains`."""

__all__ = [
    "MAX_ATTRIBUTE",
    "MAX_CONCURRENCY",
    "MAX_COUNT",
    "MAX_DURATION_S",
    "MAX_FAULTS",
    "MAX_FAULT_WINDOWS",
    "MAX_FILE_BYTES",
    "MAX_LOG_TEXTS",
    "MAX_NAME_CHARS",
    "MAX_OP_DEADLINE_S",
    "MAX_RATE_PER_S",
    "MAX_SEED_ROWS",
    "MAX_STEPS",
    "MAX_WORKERS",
]
