"""The history checker: lost, phantom and duplicated writes, misrouted and lost updates,
reads from failed sources, and the fate of every indeterminate write.

    result = check(history, final={"PRIMARY": {"user_challenges": rows}, ...}, seed=seed_ids)
    print(result.render())        # each violation as the replayable sequence of its events
"""

from fallback.checker.check import check
from fallback.checker.model import EXPECTATION_KINDS, CheckResult, IndeterminateWrite, Violation, ViolationKind
from fallback.checker.state import FinalData, FinalState, SeedData

__all__ = [
    "EXPECTATION_KINDS",
    "CheckResult",
    "FinalData",
    "FinalState",
    "IndeterminateWrite",
    "SeedData",
    "Violation",
    "ViolationKind",
    "check",
]
