"""The fault timeline: what breaks, where, when; and its expansion into concrete windows.

Offsets (`at`, `until`) are seconds from the start of the workload. A fault without `until`
lasts until the workload ends. `flap` turns one fault into a train of windows: the link is
faulty for `duty * period` seconds at the start of every `period`.

What each kind (`toxic:`) accepts comes from the fault registry (`fallback.faults`): `down`
disables the Toxiproxy proxy (new connections refused, open ones closed); every other kind is
a Toxiproxy toxic whose `attributes` use Toxiproxy's own names. Windows of an `exclusive` kind
(`down`) on one target must not overlap (`overlapping`): drills apply the same rule to `--fail`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from fallback.faults import KINDS, Value
from fallback.scenario._types import STREAMS, TOXICS, Duration, Record, StreamName, known_targets, one_of

MAX_WINDOWS = 10_000
"""A flap expanding to more windows than this is almost certainly a typo in `period`."""


class Flap(Record):
    period: Duration = Field(gt=0)
    duty: float = Field(gt=0, lt=1)
    """Fraction of each period during which the fault is on."""


class Fault(Record):
    at: Duration = 0.0
    until: Duration | None = None
    target: Annotated[str, one_of("target", known_targets)]
    """`<SOURCE>.<link>`: the Toxiproxy proxy, e.g. `PRIMARY.api` (HTTP) or `PRIMARY.db` (PostgreSQL)."""
    toxic: Annotated[str, one_of("toxic", TOXICS)]
    """A fault kind of the registry: `down`, `latency`, ..."""
    attributes: dict[str, Value] = Field(default_factory=dict, validate_default=True)
    stream: Annotated[StreamName, one_of("stream", STREAMS)] = "downstream"
    toxicity: float = Field(default=1.0, ge=0.0, le=1.0)
    flap: Flap | None = None
    name: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
    """What expectations call it (`during: outage`, `recovers_within: {after: outage, ...}`)."""

    @field_validator("until")
    @classmethod
    def _after_at(cls, until: float | None, info: ValidationInfo) -> float | None:
        at = info.data.get("at")
        if until is not None and at is not None and until <= at:
            raise ValueError(f"must be later than `at` ({at:g}s), got {until:g}s")
        return until

    @field_validator("attributes")
    @classmethod
    def _known_attributes(cls, attributes: dict[str, Value], info: ValidationInfo) -> dict[str, Value]:
        toxic = info.data.get("toxic")
        if toxic is None:  # the toxic itself was invalid: that error is reported instead
            return attributes
        return KINDS[toxic].check_attributes(attributes)

    @field_validator("stream", "toxicity")
    @classmethod
    def _envelope_applies(cls, value: object, info: ValidationInfo) -> object:
        toxic = info.data.get("toxic")
        problem = KINDS[toxic].applier.envelope_error(toxic, str(info.field_name)) if toxic is not None else None
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("toxic")
    @classmethod
    def _takes_target(cls, toxic: str, info: ValidationInfo) -> str:
        target = info.data.get("target")
        if target is not None:  # `target` is a known target of some kind: is it one of this kind's?
            KINDS[toxic].check_target(target)
        return toxic

    @property
    def source(self) -> str:
        return self.target.partition(".")[0]

    @property
    def link(self) -> str:
        """`api`, `db` (or a process's name); empty for a whole-source target."""
        return self.target.partition(".")[2]

    @property
    def exclusive(self) -> bool:
        return KINDS[self.toxic].exclusive

    def end_s(self, end: float | None) -> float | None:
        """When its last window ends; `end`: when the workload ends (None: unknown)."""
        return self.until if self.until is not None else end


class FaultWindow(Record):
    """One concrete interval during which a fault is applied (flaps give several per fault)."""

    fault_index: int
    """Position of the fault in the scenario's `faults` list."""
    start_s: float
    end_s: float | None
    """None: until the workload ends."""
    target: str
    source: str
    link: str
    toxic: str
    attributes: dict[str, Value]
    stream: str
    toxicity: float
    name: str
    """A toxic name unique within the scenario, for Toxiproxy (`f<index>_<toxic>_<stream>`)."""


def windows(index: int, fault: Fault, end_s: float | None) -> list[FaultWindow]:
    """`fault`'s windows; `end_s` is when the workload ends (needed for a flap without `until`)."""

    def window(start: float, end: float | None) -> FaultWindow:
        return FaultWindow(
            fault_index=index,
            start_s=start,
            end_s=end,
            target=fault.target,
            source=fault.source,
            link=fault.link,
            toxic=fault.toxic,
            attributes=dict(fault.attributes),
            stream=fault.stream,
            toxicity=fault.toxicity,
            name=f"f{index}_{fault.toxic}_{fault.stream}",
        )

    if fault.flap is None:
        return [window(fault.at, fault.until)]
    stop = fault.until if fault.until is not None else end_s
    if stop is None:
        raise ValueError(f"faults[{index}] flaps without `until`: the workload's duration is needed")
    period, on = fault.flap.period, fault.flap.period * fault.flap.duty
    if (stop - fault.at) / period > MAX_WINDOWS:
        raise ValueError(f"faults[{index}] flaps into more than {MAX_WINDOWS} windows")
    result: list[FaultWindow] = []
    k = 0
    while (start := fault.at + k * period) < stop:
        result.append(window(start, min(start + on, stop)))
        k += 1
    return result


def overlapping(faults: Sequence[Fault], end: float | None) -> Iterator[tuple[int, int]]:
    """`(later, earlier)` index pairs of faults of one `exclusive` kind (`down`) on one target whose
    windows overlap: the end of one would end the other too. One rule for scenario files and drills.

    `end` is when the workload ends (a fault without `until` lasts until then); None: unknown.
    Windows that only touch (one ends when the next starts) do not overlap."""
    for index, fault in enumerate(faults):
        for other in range(index):
            earlier = faults[other]
            if not fault.exclusive or (earlier.target, earlier.toxic) != (fault.target, fault.toxic):
                continue
            earlier_end, fault_end = earlier.end_s(end), fault.end_s(end)
            if (earlier_end is None or fault.at < earlier_end) and (fault_end is None or earlier.at < fault_end):
                yield index, other
