"""The shape of one fault kind: its targets, its attributes and the applier that plays it.

Nothing here knows a particular kind; the table of kinds is `_kinds.py`, the appliers are
`_toxiproxy.py` (and, later, one module per further applier).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from fallback.faults._outages import Outages
from fallback.names import source_names, unknown
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

if TYPE_CHECKING:
    from fallback.faults._fault import Fault

Value = int | float | str
"""A number, or one of an attribute's `choices` (e.g. a table name)."""
TargetKind = Literal["link", "edge", "process", "source"]
TARGET_PARTS: Mapping[TargetKind, tuple[str, ...]] = {
    "link": ("api", "db"),  # the Toxiproxy proxies: client -> gateway, gateway -> PostgreSQL
    "edge": ("api",),  # the HTTP edge in front of the gateway, on the client's side: the `.api` link only
    "process": ("postgres", "gateway"),
    "source": (),  # the bare source name, e.g. `BOLT`
}
TARGET_SHAPES: Mapping[TargetKind, str] = {
    "link": "<SOURCE>.api|db",
    "edge": "<SOURCE>.api",
    "process": "<SOURCE>.postgres|gateway",
    "source": "<SOURCE>",
}


class FaultError(RuntimeError):
    """A fault could not be applied, in our words (appliers convert their backend's errors to these).

    FaultError
    ├── UnknownTarget   the target does not exist on the running stack
    └── FaultConflict   the target already carries this fault
    """


class UnknownTarget(FaultError):
    pass


class FaultConflict(FaultError):
    pass


def target_kind(target: str) -> TargetKind | None:
    """`PRIMARY.api` -> `link`, `PRIMARY.postgres` -> `process`, `PRIMARY` -> `source`; None: no known shape.
    (`PRIMARY.api` is also of the `edge` kind: `fits` answers for a given kind.)"""
    source, dot, part = target.partition(".")
    if not source or not source.replace("_", "").replace("-", "").isalnum():
        return None
    if not dot:
        return "source"
    return next((kind for kind, parts in TARGET_PARTS.items() if part in parts), None)


def fits(target: str, kind: TargetKind) -> bool:
    """Whether `target` has the shape of `kind` (`PRIMARY.api` fits both `link` and `edge`)."""
    shape = target_kind(target)
    if shape is None or kind == "source" or shape == "source":
        return shape == kind
    return target.partition(".")[2] in TARGET_PARTS[kind]


def targets_of(kinds: Iterable[TargetKind], sources: Sequence[str] | None = None) -> tuple[str, ...]:
    """Every target of those kinds, source by source: `PRIMARY.api, PRIMARY.db, BOLT.api, ...`;
    by default on the active project's sources (read at each call: `--project` may change them)."""
    wanted = set(kinds)
    sources = source_names() if sources is None else sources
    found: list[str] = []
    for source in sources:
        for kind, parts in TARGET_PARTS.items():
            if kind in wanted:
                found += [f"{source}.{part}" for part in parts] if parts else [source]
    return tuple(dict.fromkeys(found))  # `.api` once, though both `link` and `edge` name it


@dataclass(frozen=True)
class Controls:
    """What appliers act through: Toxiproxy, each source's superuser DSN (the database kinds) and the stack's
    state (the process, auth and HTTP-edge kinds: its processes and its state dir)."""

    toxiproxy: Toxiproxy
    _: KW_ONLY  # the rest by name: a positional StackState in the place of `databases` was a silent bug
    databases: tuple[tuple[str, str], ...] = ()
    """(source, superuser DSN straight to its PostgreSQL), in the stack's order."""
    stack: StackState | None = None
    """The stack's state (the process faults read its processes afresh from its file); None: no process faults."""
    outages: Outages = field(default_factory=Outages)
    """What the process faults are taking down on purpose; a run's `ProcessWatch` shares it."""

    @classmethod
    def of(cls, given: Controls | Toxiproxy) -> Controls:
        return given if isinstance(given, Controls) else cls(given)

    @classmethod
    def of_stack(cls, toxiproxy: Toxiproxy, stack: StackState) -> Controls:
        """Toxiproxy, the sources' superuser DSNs and the stack (its processes); only Toxiproxy for `external`
        (hosted) projects: not ours to break."""
        if stack.kind == "external":
            return cls(toxiproxy)
        return cls(toxiproxy, databases=tuple((s.name, s.db_dsn) for s in stack.sources if s.db_dsn), stack=stack)

    def database(self, source: str) -> str:
        """`source`'s superuser DSN; `UnknownTarget` names the sources there are."""
        for name, dsn in self.databases:
            if name == source:
                return dsn
        raise UnknownTarget(unknown("target", source, tuple(name for name, _ in self.databases)))


class Applier(Protocol):
    """Plays one fault kind on the stack and undoes it. Converts its backend's errors to `FaultError`s."""

    family: str
    """Appliers of one family share `known_targets`, `clear_target` and `reset` (e.g. `toxiproxy`)."""

    def envelope_error(self, kind: str, field: str) -> str | None:
        """Why Toxiproxy's `stream`/`toxicity` envelope does not apply to `kind`; None when it does."""
        ...

    def apply(self, fault: Fault, controls: Controls) -> None: ...

    def clear(self, fault: Fault, controls: Controls) -> None:
        """Undo `apply`; a fault already gone is not an error."""
        ...

    def known_targets(self, controls: Controls) -> tuple[str, ...]: ...

    def clear_target(self, target: str, controls: Controls) -> None:
        """Undo every fault of this family on `target`."""
        ...

    def reset(self, controls: Controls) -> None:
        """Undo every fault of this family on the whole stack."""
        ...


@dataclass(frozen=True)
class Attribute:
    """One attribute of a fault kind, named as its applier's API names it (Toxiproxy: `toxics/*.go`)."""

    name: str
    unit: str
    default: Value | None = None
    """None: required."""
    integer: bool = True
    minimum: int | float = 0
    maximum: int | float | None = None
    search: tuple[Value, ...] = ()
    """Values `explore` draws, simplest first (Hypothesis shrinks toward the first)."""
    choices: tuple[str, ...] = ()
    """Not empty: a text attribute, one of these (e.g. a table name); numbers are refused."""
    allowed: tuple[int, ...] = ()
    """Not empty: a whole number, one of these (e.g. the statuses an edge answers)."""

    @property
    def required(self) -> bool:
        return self.default is None

    def check(self, value: object) -> Value:
        """`value` as this attribute's type, or a ValueError saying what is wrong with it."""
        if self.choices:
            if not isinstance(value, str):
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
            if value not in self.choices:
                raise ValueError(unknown(self.name, value, self.choices))
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{self.name} must be a number of {self.unit}, got {value!r}")
        if self.integer and not float(value).is_integer():
            raise ValueError(f"{self.name} must be a whole number of {self.unit}, got {value}")
        checked: int | float = int(value) if self.integer else float(value)
        if checked < self.minimum:
            raise ValueError(f"{self.name} must be >= {self.minimum}, got {checked}")
        if self.maximum is not None and checked > self.maximum:
            raise ValueError(f"{self.name} must be <= {self.maximum}, got {checked}")
        if self.allowed and checked not in self.allowed:
            raise ValueError(f"{self.name} must be one of {', '.join(map(str, self.allowed))}, got {checked}")
        return checked


@dataclass(frozen=True)
class FaultKind:
    """One entry of the registry: everything the validator, the CLI, drills and explore need to know."""

    name: str
    summary: str
    """What it does, completing "`<name>` ...": e.g. `disables the proxy`."""
    applier: Applier
    attributes: tuple[Attribute, ...] = ()
    main: str | None = None
    """The attribute a bare number sets: `fault BOLT.api latency 300`, `--fail BOLT.api:latency=300@5s`."""
    targets: frozenset[TargetKind] = frozenset({"link"})
    exclusive: bool = False
    """One window at a time per target: the applier holds a single switch (a proxy's `enabled`), so the end
    of one window would end an overlapping one too. Overlapping windows of it are rejected."""
    explore_rank: int | None = None
    """Its place in `explore`'s draw order, simplest first (Hypothesis shrinks toward it); None: not explored."""

    def __post_init__(self) -> None:
        if self.main is not None and self.main not in self.attribute_names:
            raise ValueError(f"{self.name}: main attribute {self.main!r} is not one of its attributes")

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(attribute.name for attribute in self.attributes)

    @property
    def main_attribute(self) -> Attribute | None:
        return next((a for a in self.attributes if a.name == self.main), None)

    @property
    def target_shapes(self) -> str:
        return " or ".join(f"`{TARGET_SHAPES[kind]}`" for kind in TARGET_SHAPES if kind in self.targets)

    def takes_envelope(self) -> bool:
        return self.applier.envelope_error(self.name, "stream") is None

    def check_target(self, target: str) -> None:
        if not any(fits(target, kind) for kind in self.targets):
            raise ValueError(f"{self.name} acts on {self.target_shapes}, not {target!r}")

    def check_attributes(self, given: Mapping[str, object]) -> dict[str, Value]:
        """The attributes given, typed; a ValueError names an unknown, invalid or missing one."""
        if given and not self.attributes:
            raise ValueError(f"`{self.name}` {self.summary} and takes no attributes")
        by_name = {attribute.name: attribute for attribute in self.attributes}
        checked: dict[str, Value] = {}
        for name, value in given.items():
            if name not in by_name:
                raise ValueError(unknown(f"attribute for {self.name}", name, self.attribute_names))
            checked[name] = by_name[name].check(value)
        missing = [a.name for a in self.attributes if a.required and a.name not in given]
        if missing:
            raise ValueError(f"{self.name} needs {', '.join(missing)}")
        return checked

    def resolve(self, given: Mapping[str, Value]) -> dict[str, Value]:
        """Every attribute in the entry's order: what was given, else the default."""
        resolved: dict[str, Value] = {}
        for attribute in self.attributes:
            value = given.get(attribute.name, attribute.default)
            if value is not None:
                resolved[attribute.name] = value
        return resolved
