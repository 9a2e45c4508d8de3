"""Outage drills: steady traffic through one client while faults hit the stack, a live dashboard,
and availability / time to detect / fail over / recover at the end.

    result = await run_drill(DrillOptions(plan=TrafficPlan(rate_per_s=50, duration_s=30),
                                          windows=planned_windows(["PRIMARY.api@10s-20s"], None, 30)), state)
"""

from fallback.drill.figures import drill_figures
from fallback.drill.run import DrillOptions, DrillResult, run_drill
from fallback.drill.summary import drill_markdown
from fallback.drill.timeline import TimelineError, parse_fail, planned_windows
from fallback.drill.traffic import TrafficPlan, parse_mix

__all__ = [
    "DrillOptions",
    "DrillResult",
    "TimelineError",
    "TrafficPlan",
    "drill_figures",
    "drill_markdown",
    "parse_fail",
    "parse_mix",
    "planned_windows",
    "run_drill",
]
