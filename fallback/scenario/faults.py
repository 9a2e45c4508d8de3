"""The fault timeline: what breaks, where, when; and its expansion into concrete windows.

Offsets (`at`, `until`) are seconds from the start of the workload. A fault without `until`
lasts until the workload ends. `flap` turns one fault into a train of windows: the link is
faulty for `duty * period` seconds at the start of every `period`.

`down` disables the Toxiproxy proxy (new connections refused, open ones closed); every
other kind is a Toxiproxy toxic whose `attributes` use Toxiproxy's own names.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from fallback.scenario._types import (
    STREAMS,
    TARGETS,
    TOXIC_ATTRIBUTES,
    TOXICS,
    Duration,
    Record,
    StreamName,
    ToxicKind,
    one_of,
    unknown,
)

MAX_WINDOWS = 10_000
"""A flap expanding to more windows than this is almost certainly a typo in `period`."""


class Flap(Record):
    period: Duration = Field(gt=0)
    duty: float = Field(gt=0, lt=1)
    """Fraction of each period during which the fault is on."""


class Fault(Record):
    at: Duration = 0.0
    until: Duration | None = None
    target: Annotated[str, one_of("target", TARGETS)]
    """`<SOURCE>.<link>`: the Toxiproxy proxy, e.g. `PRIMARY.api` (HTTP) or `PRIMARY.db` (PostgreSQL)."""
    toxic: Annotated[ToxicKind, one_of("toxic", TOXICS)]
    attributes: dict[str, int] = Field(default_factory=dict, validate_default=True)
    stream: Annotated[StreamName, one_of("stream", STREAMS)] = "downstream"
    toxicity: float = Field(default=1.0, ge=0.0, le=1.0)
    flap: Flap | None = None

    @field_validator("until")
    @classmethod
    def _after_at(cls, until: float | None, info: ValidationInfo) -> float | None:
        at = info.data.get("at")
        if until is not None and at is not None and until <= at:
            raise ValueError(f"must be later than `at` ({at:g}s), got {until:g}s")
        return until

    @field_validator("attributes")
    @classmethod
    def _known_attributes(cls, attributes: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        toxic = info.data.get("toxic")
        if toxic is None:  # the toxic itself was invalid: that error is reported instead
            return attributes
        required, optional = TOXIC_ATTRIBUTES[toxic]
        if toxic == "down" and attributes:
            raise ValueError("`down` disables the proxy and takes no attributes")
        for name, value in attributes.items():
            if name not in required + optional:
                raise ValueError(unknown(f"attribute for {toxic}", name, required + optional))
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        missing = [name for name in required if name not in attributes]
        if missing:
            raise ValueError(f"{toxic} needs {', '.join(missing)}")
        return attributes

    @field_validator("stream", "toxicity")
    @classmethod
    def _not_for_down(cls, value: object, info: ValidationInfo) -> object:
        if info.data.get("toxic") == "down":
            raise ValueError(f"`down` disables the whole proxy: `{info.field_name}` does not apply")
        return value

    @property
    def source(self) -> str:
        return self.target.split(".")[0]

    @property
    def link(self) -> str:
        return self.target.split(".")[1]


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
    attributes: dict[str, int]
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
