"""Where a drill's planned faults come from: a scenario file's `faults`, or `--fail` shorthands.

    --fail PRIMARY.api@10s-20s               PRIMARY's API refuses connections from 10 s to 20 s
    --fail PRIMARY.api:latency=300@5s-15s    every chunk delayed 300 ms (the kind's main attribute)
    --fail BOLT.db:timeout@30s               a blackhole from 30 s until the drill ends

Both are validated by the scenario model (`fallback.scenario.Fault`), so a shorthand accepts
exactly what a scenario file accepts, and fails the same way, in our words; windows of `down`
on one target must not overlap, by the scenario files' own rule (`scenario.faults.overlapping`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from fallback.faults import KINDS
from fallback.scenario import Fault, FaultWindow, load_scenario, parse_duration
from fallback.scenario.faults import overlapping, windows
from fallback.scenario.limits import MAX_ATTRIBUTE

_SHORTHAND = re.compile(
    r"^(?P<target>[A-Za-z]+(?:\.[a-z]+)?)(?::(?P<toxic>[a-z_]+)(?:=(?P<value>\d+(?:\.\d+)?))?)?"
    r"@(?P<at>[^-]+)(?:-(?P<until>.+))?$"
)
_FORM = "write TARGET[:KIND[=VALUE]]@START[-END], e.g. PRIMARY.api@10s-20s or PRIMARY:read_only@5s-9s"
_PARTS = {"target": "target", "toxic": "kind", "attributes": "value", "at": "start", "until": "end"}
"""The shorthand's name for each field of the scenario model, for messages."""


class TimelineError(ValueError):
    """A `--fail` shorthand or a scenario file that does not give a usable fault timeline."""


def parse_fail(text: str, index: int = 0) -> Fault:
    match = _SHORTHAND.match(text.strip())
    if match is None:
        raise TimelineError(f"--fail {text!r}: {_FORM}")
    toxic = match["toxic"] or "down"
    kind = KINDS.get(toxic)
    attributes: dict[str, object] = {}
    if match["value"] is not None and kind is not None:
        if kind.main is None:
            raise TimelineError(f"--fail {text!r}: `{toxic}` takes no value")
        value = float(match["value"]) if "." in match["value"] else int(match["value"])
        if value > MAX_ATTRIBUTE:  # as in a scenario file; Toxiproxy would answer 400 mid-drill
            raise TimelineError(f"--fail {text!r}: {kind.main} is at most {MAX_ATTRIBUTE}, got {match['value']}")
        attributes[kind.main] = value
    elif kind is not None and kind.main_attribute is not None and kind.main_attribute.required:
        example = f"{match['target']}:{toxic}=VALUE@{match['at']}" + (f"-{match['until']}" if match["until"] else "")
        raise TimelineError(f"--fail {text!r}: {toxic} needs a value ({kind.main_attribute.unit}), e.g. {example}")
    try:
        return Fault.model_validate(
            {
                "target": match["target"],
                "toxic": toxic,
                "attributes": attributes,
                "at": parse_duration(match["at"]),
                "until": parse_duration(match["until"]) if match["until"] else None,
            }
        )
    except ValidationError as exc:
        raise TimelineError(f"--fail {text!r}: {_our_words(exc)}") from exc
    except ValueError as exc:
        raise TimelineError(f"--fail {text!r}: {exc}") from exc


def _our_words(exc: ValidationError) -> str:
    """pydantic's errors as `part: problem`, without its preamble and documentation links."""
    found = []
    for error in exc.errors(include_url=False):
        part = _PARTS.get(str(error["loc"][0]), str(error["loc"][0])) if error["loc"] else ""
        problem = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
        found.append(f"{part}: {problem}" if part else problem)
    return "; ".join(found)


def planned_windows(fails: Sequence[str], scenario_file: Path | None, duration_s: float) -> tuple[FaultWindow, ...]:
    """The windows the drill applies itself: the scenario's faults (its workload is ignored), then `--fail`s.

    Two windows of `down` on one target that overlap are refused, as in a scenario file: the end of
    the first would re-enable the proxy in the middle of the second."""
    faults: list[Fault] = []
    names: list[str] = []
    if scenario_file is not None:
        faults += list(load_scenario(scenario_file).faults)
        names += [f"{scenario_file} faults[{index}]" for index in range(len(faults))]
    faults += [parse_fail(text) for text in fails]
    names += [f"--fail {text!r}" for text in fails]
    for index, other in overlapping(faults, duration_s):
        fault = faults[index]
        raise TimelineError(
            f"{names[index]} overlaps {names[other]} ({fault.toxic} on {fault.target}): "
            "one window's end would end the other; merge the two windows"
        )
    found = [w for index, fault in enumerate(faults) for w in windows(index, fault, duration_s)]
    return tuple(sorted((w for w in found if w.start_s < duration_s), key=lambda w: (w.start_s, w.fault_index)))
