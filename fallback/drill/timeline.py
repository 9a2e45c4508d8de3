"""Where a drill's planned faults come from: a scenario file's `faults`, or `--fail` shorthands.

    --fail PRIMARY.api@10s-20s               PRIMARY's API refuses connections from 10 s to 20 s
    --fail PRIMARY.api:latency=300@5s-15s    every chunk delayed 300 ms (the toxic's main attribute)
    --fail BOLT.db:timeout@30s               a blackhole from 30 s until the drill ends

Both are validated by the scenario model (`fallback.scenario.Fault`), so a shorthand accepts
exactly what a scenario file accepts, and fails the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from fallback.scenario import Fault, FaultWindow, load_scenario, parse_duration
from fallback.scenario.faults import windows
from fallback.toxics import MAIN_ATTRIBUTE

_SHORTHAND = re.compile(r"^(?P<target>[A-Za-z]+\.[a-z]+)(?::(?P<toxic>[a-z_]+)(?:=(?P<value>\d+))?)?"
                        r"@(?P<at>[^-]+)(?:-(?P<until>.+))?$")  # fmt: skip


class TimelineError(ValueError):
    """A `--fail` shorthand or a scenario file that does not give a usable fault timeline."""


def parse_fail(text: str, index: int = 0) -> Fault:
    match = _SHORTHAND.match(text.strip())
    if match is None:
        raise TimelineError(f"--fail {text!r}: write TARGET[:TOXIC[=VALUE]]@START[-END], e.g. PRIMARY.api@10s-20s")
    toxic = match["toxic"] or "down"
    attributes = {MAIN_ATTRIBUTE[toxic]: int(match["value"])} if match["value"] and toxic in MAIN_ATTRIBUTE else {}
    try:
        return Fault(
            target=match["target"],
            toxic=toxic,  # type: ignore[arg-type]
            attributes=attributes,
            at=parse_duration(match["at"]),
            until=parse_duration(match["until"]) if match["until"] else None,
        )
    except (ValidationError, ValueError) as exc:
        raise TimelineError(f"--fail {text!r}: {exc}") from exc


def planned_windows(
    fails: Sequence[str], scenario_file: Path | None, duration_s: float
) -> tuple[FaultWindow, ...]:
    """The windows the drill applies itself: the scenario's faults (its workload is ignored), then `--fail`s."""
    faults: list[Fault] = []
    if scenario_file is not None:
        faults += list(load_scenario(scenario_file).faults)
    faults += [parse_fail(text) for text in fails]
    found = [w for index, fault in enumerate(faults) for w in windows(index, fault, duration_s)]
    return tuple(sorted((w for w in found if w.start_s < duration_s), key=lambda w: (w.start_s, w.fault_index)))
