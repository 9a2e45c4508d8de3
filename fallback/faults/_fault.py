"""One fault on one target, checked against its registry entry and played by its entry's applier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fallback.faults._kinds import fault_kind
from fallback.faults._registry import Controls, FaultKind, Value
from fallback.toxics import Stream, Toxiproxy


@dataclass(frozen=True)
class Fault:
    """One fault on one target: `down` (the proxy disabled), a named toxic, or any later kind.

    The scenario engine, drills, the pytest plugin and `fallback-harness fault` all apply faults
    through this record, so a fault typed live behaves exactly like the same fault in a scenario file.
    Built with an unknown kind, a target of the wrong shape or bad attributes, it raises ValueError.
    """

    target: str
    """e.g. `PRIMARY.api`."""
    kind: str
    attributes: Mapping[str, Value] = field(default_factory=dict)
    """As given (typed); `resolved_attributes` adds the defaults."""
    stream: Stream = "downstream"
    toxicity: float = 1.0
    name: str = ""
    """The toxic's name in Toxiproxy; empty: `<type>_<stream>`."""

    def __post_init__(self) -> None:
        kind = fault_kind(self.kind)
        kind.check_target(self.target)
        object.__setattr__(self, "attributes", kind.check_attributes(self.attributes))
        if not 0.0 <= self.toxicity <= 1.0:
            raise ValueError(f"toxicity must be within 0..1, got {self.toxicity}")

    @property
    def entry(self) -> FaultKind:
        """Its registry entry."""
        return fault_kind(self.kind)

    @property
    def resolved_attributes(self) -> dict[str, Value]:
        return self.entry.resolve(self.attributes)

    def apply(self, controls: Controls | Toxiproxy) -> None:
        self.entry.applier.apply(self, Controls.of(controls))

    def clear(self, controls: Controls | Toxiproxy) -> None:
        """Undo `apply`; a fault that is already gone is not an error."""
        self.entry.applier.clear(self, Controls.of(controls))
