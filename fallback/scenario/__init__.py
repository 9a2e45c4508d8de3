"""Scenario files: the model, the loader (file:line: field errors) and the YAML writer.

from fallback.scenario import load_scenarios, scenario_files
for scenario in load_scenarios(scenario_files(["scenarios"])):   # directories expanded, each file once
    for window in scenario.fault_windows(): ...
"""

from fallback.scenario._types import TOXIC_ATTRIBUTES, TOXICS, known_sources, known_tables, known_targets
from fallback.scenario.dump import dump_scenario, scenario_data
from fallback.scenario.errors import Problem, ScenarioError
from fallback.scenario.expect import (
    AvailabilityExpect,
    Bound,
    ErrorExpect,
    Expect,
    FailsOverWithin,
    LatencyExpect,
    RecoversWithin,
    WindowExpect,
)
from fallback.scenario.faults import Fault, FaultWindow, Flap
from fallback.scenario.loader import load_scenario, load_scenarios, scenario_files
from fallback.scenario.model import Scenario
from fallback.scenario.seed import SPEC_SEED
from fallback.scenario.units import format_duration, format_rate, parse_duration, parse_rate
from fallback.scenario.workload import Group, Step, Workload

__all__ = [
    "SPEC_SEED",
    "TOXICS",
    "TOXIC_ATTRIBUTES",
    "AvailabilityExpect",
    "Bound",
    "ErrorExpect",
    "Expect",
    "FailsOverWithin",
    "Fault",
    "FaultWindow",
    "Flap",
    "Group",
    "LatencyExpect",
    "Problem",
    "RecoversWithin",
    "Scenario",
    "ScenarioError",
    "Step",
    "WindowExpect",
    "Workload",
    "dump_scenario",
    "format_duration",
    "format_rate",
    "known_sources",
    "known_tables",
    "known_targets",
    "load_scenario",
    "load_scenarios",
    "parse_duration",
    "parse_rate",
    "scenario_data",
    "scenario_files",
]
