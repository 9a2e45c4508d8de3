"""The history checker: lost, phantom and duplicated writes, misrouted and lost updates, lost,
phantom and misrouted deletes, reads from failed sources, and the fate of every indeterminate
write, on any table: rows are named by the table's primary key (`keys`; `id` when not given).

    final = {"PRIMARY": {"orders": rows}, ...}
    result = check(history, final, seed=seed_keys, keys={"orders": ("tenant_id", "id")})
    print(result.render())        # each violation as the replayable sequence of its events
"""

from fallback.checker.check import check
from fallback.checker.model import EXPECTATION_KINDS, CheckResult, IndeterminateWrite, Violation, ViolationKind
from fallback.checker.state import FinalData, FinalState, KeyColumns, SeedData

__all__ = [
    "EXPECTATION_KINDS",
    "CheckResult",
    "FinalData",
    "FinalState",
    "IndeterminateWrite",
    "KeyColumns",
    "SeedData",
    "Violation",
    "ViolationKind",
    "check",
]
