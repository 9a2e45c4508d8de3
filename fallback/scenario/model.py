"""The scenario: one YAML file, one frozen `Scenario`.

Cross-field rules that need the whole scenario (a flap needs an end, two `down` windows on
one proxy must not overlap, ...) live in `cross_check`, which returns each problem with the
location of the field at fault, so the loader can name its line. Building a `Scenario` in
code runs the same rules and raises pydantic's `ValidationError`.
"""

from __future__ import annotations

import math
import re

from pydantic import Field, ValidationInfo, field_validator, model_validator

from fallback.project import ProjectSchema, active
from fallback.project.seeding import seeded_user_count
from fallback.scenario._types import (
    Duration,
    Record,
    known_sources,
    known_tables,
)
from fallback.scenario.expect import Expect
from fallback.scenario.expect_windows import cross_references
from fallback.scenario.faults import MAX_WINDOWS, Fault, FaultWindow, overlapping, windows
from fallback.scenario.limits import (
    MAX_ATTRIBUTE,
    MAX_DURATION_S,
    MAX_FAULT_WINDOWS,
    MAX_FAULTS,
    MAX_NAME_CHARS,
    MAX_OP_DEADLINE_S,
)
from fallback.scenario.seed import SeedSpec, project_schema, seed_problems
from fallback.scenario.workload import Group, Step, Workload

Loc = tuple[str | int, ...]
BUILTIN_CLIENTS = ("reference", "spec")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


class Scenario(Record):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    description: str
    seed: SeedSpec = Field(default_factory=SeedSpec.default)
    """Rows per table per source before the workload starts (a source left out gets none), and/or SQL
    files (`file:`); see `fallback.scenario.seed`."""
    client: str = Field(default_factory=lambda: active().client)
    """`reference`, `spec`, `both`, or an import path `package.module:factory`; default: the project's
    `client` (`both` for the built-in example)."""
    faults: tuple[Fault, ...] = Field(default=(), max_length=MAX_FAULTS)
    workload: Workload
    expect: Expect = Field(default_factory=Expect)
    """Checked against the reference client (or the imported one)."""
    spec_expect: Expect | None = None
    """What the spec-faithful client is expected to show; `expect` is used when absent."""
    auth: str = "service_role"
    """Who the client is: `service_role` (the admin panel's view: every row), `anon` (the anon key alone),
    or `user:<SOURCE>:<n>`: the anon key plus the access token of seeded user n of SOURCE, signed in
    there and sent to every source, as the spec's browser app would."""
    op_deadline: Duration = Field(default=10.0, gt=0, le=MAX_OP_DEADLINE_S)
    """The engine's own bound on every client call: a call not answered by then is recorded as
    `hung` (a write as indeterminate). Clients have their own deadlines; this one is the harness's."""
    file: str | None = Field(default=None, exclude=True)
    """The file it was loaded from (not part of the scenario: never dumped)."""

    @field_validator("name")
    @classmethod
    def _slug(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"{name!r}: use letters, digits, '-', '_' and '.' only (it names report files)")
        return name

    @field_validator("auth")
    @classmethod
    def _known_auth(cls, auth: str) -> str:
        if auth in ("service_role", "anon"):
            return auth
        parts = auth.split(":")
        if len(parts) == 3 and parts[0] == "user" and parts[1] in known_sources() and parts[2].isdigit():
            return auth
        raise ValueError(f"unknown auth {auth!r} (known: service_role, anon, user:<SOURCE>:<n>, e.g. user:PRIMARY:0)")

    @field_validator("client")
    @classmethod
    def _known_client(cls, client: str) -> str:
        if client in (*BUILTIN_CLIENTS, "both") or _IMPORT_PATH.match(client):
            return client
        raise ValueError(f"unknown client {client!r} (known: reference, spec, both, or `package.module:factory`)")

    @model_validator(mode="after")
    def _cross_check(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get("defer_cross_checks"):
            return self
        problems = cross_check(self, info.context.get("schema") if info.context else None)
        if problems:
            raise ValueError("; ".join(f"{format_loc(loc)}: {message}" for loc, message in problems))
        return self

    def clients(self) -> tuple[str, ...]:
        """Which clients run it: `both` is `("reference", "spec")`."""
        return BUILTIN_CLIENTS if self.client == "both" else (self.client,)

    def expect_for(self, client: str) -> Expect:
        return self.spec_expect if client == "spec" and self.spec_expect is not None else self.expect

    def seed_count(self, table: str, source: str) -> int:
        return self.seed.count(table, source)

    def fault_windows(self, duration_s: float | None = None) -> tuple[FaultWindow, ...]:
        """Every fault's concrete windows, flaps expanded, sorted by start.

        `duration_s` is the workload's actual length; by default its planned length. A flap
        without `until` in a workload of unknown length is rejected when the file is loaded.
        """
        end = duration_s if duration_s is not None else self.workload.planned_duration_s()
        found = [w for index, fault in enumerate(self.faults) for w in windows(index, fault, end)]
        return tuple(sorted(found, key=lambda w: (w.start_s, w.fault_index)))


def format_loc(loc: Loc) -> str:
    """`("faults", 1, "toxic")` -> `faults[1].toxic`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def seeded_users(scenario: Scenario, source: str, schema: ProjectSchema | None = None) -> int | None:
    """How many users of `source` the seed creates (`fallback.project.seeding`): for the spec's app one per
    profile, user 0 owning the challenges when there are challenges but no profiles. None when it cannot
    be known: another project whose schema was not given."""
    counts = {table: per_source.get(source, 0) for table, per_source in scenario.seed.counts.items()}
    if schema is not None:
        return seeded_user_count(schema, counts)
    if not active().builtin:
        return None
    profiles = counts.get("profiles", 0)
    return profiles if profiles else (1 if counts.get("user_challenges", 0) else 0)


def _auth_problems(scenario: Scenario, schema: ProjectSchema | None) -> list[tuple[Loc, str]]:
    if not scenario.auth.startswith("user:"):
        return []
    _, source, index = scenario.auth.split(":")
    users = seeded_users(scenario, source, schema)
    if users is None:
        return []
    if int(index) < users:
        return []
    seeded = f"users 0..{users - 1}" if users else "no user"
    per = "one per profile" if schema is None else "see fallback.project.seeding"
    message = f"user {int(index)} of {source} is not seeded: the seed gives {source} {seeded} ({per})"
    return [(("auth",), message)]


def _fault_limits(index: int, fault: Fault, planned: float | None) -> tuple[list[tuple[Loc, str]], int]:
    """Problems with `fault`'s sizes, and how many windows it expands to."""
    problems: list[tuple[Loc, str]] = []
    for name in ("at", "until"):
        value = getattr(fault, name)
        if value is not None and value > MAX_DURATION_S:
            problems.append((("faults", index, name), f"{value:g} s: at most {MAX_DURATION_S:g} s"))
    for name, value in fault.attributes.items():
        if not isinstance(value, str) and value > MAX_ATTRIBUTE:
            problems.append((("faults", index, "attributes", name), f"{value}: at most {MAX_ATTRIBUTE}"))
    stop = fault.until if fault.until is not None else planned
    if fault.flap is None or stop is None:
        return problems, 1
    count = max(0.0, (stop - fault.at) / fault.flap.period)  # a fault may start after the planned end
    return problems, max(1, math.ceil(count)) if count <= MAX_FAULT_WINDOWS else MAX_FAULT_WINDOWS + 1


def _step_locs(scenario: Scenario) -> list[tuple[Loc, Step]]:
    found: list[tuple[Loc, Step]] = []
    for index, item in enumerate(scenario.workload.steps):
        if isinstance(item, Group):
            found += [
                (("workload", "steps", index, "parallel", inner), step) for inner, step in enumerate(item.parallel)
            ]
        else:
            found.append((("workload", "steps", index), item))
    return found


def _default_problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    """A step's default table (`user_challenges`, the built-in example's) where the active project has no such
    table: a table given in the file is checked by its own validator, a default only here. (The seed's default
    follows the project in `fallback.scenario.seed`.)"""
    tables = known_tables()
    problems: list[tuple[Loc, str]] = []
    for loc, step in _step_locs(scenario):
        if (
            "table" not in step.model_fields_set
            and step.op not in ("pause", "resolve_pending")
            and step.table not in tables
        ):
            message = (
                f"give `table:`: the default {step.table!r} is not a table of this project (known: {', '.join(tables)})"
            )
            problems.append(((*loc, "table"), message))
    return problems


def cross_check(scenario: Scenario, schema: ProjectSchema | None = None) -> list[tuple[Loc, str]]:
    """Rules spanning several fields; each problem located at the field to fix. With the project's `schema`
    (`fallback.project.cache.cached_schema`), the seed is checked against it too (foreign keys into tables
    it leaves empty); by default the active project's (none for the built-in example)."""
    schema = schema if schema is not None else project_schema()
    problems: list[tuple[Loc, str]] = _auth_problems(scenario, schema) + _default_problems(scenario)
    problems += seed_problems(scenario.seed, schema)
    planned = scenario.workload.planned_duration_s()
    total_windows = 0
    for index, fault in enumerate(scenario.faults):
        found, count = _fault_limits(index, fault, planned)
        problems += found
        total_windows += count
        if fault.flap is not None and fault.until is None and planned is None:
            problems.append(
                (("faults", index, "flap"), "needs `until`: the workload has count-only steps, its length is unknown")
            )
        elif fault.flap is not None:
            stop = fault.until if fault.until is not None else planned
            if stop is not None and (stop - fault.at) / fault.flap.period > MAX_WINDOWS:
                problems.append((("faults", index, "flap", "period"), f"gives more than {MAX_WINDOWS} windows"))
    for index, other in overlapping(scenario.faults, planned):
        fault = scenario.faults[index]
        problems.append(
            (("faults", index), f"overlaps faults[{other}] ({fault.toxic} on {fault.target}): merge the two windows")
        )
    if total_windows > MAX_FAULT_WINDOWS:
        message = f"expand to {total_windows} windows (flaps included): at most {MAX_FAULT_WINDOWS}"
        problems.append((("faults",), message))
    problems += cross_references(scenario.faults, (("expect", scenario.expect), ("spec_expect", scenario.spec_expect)))
    if scenario.spec_expect is not None and "spec" not in scenario.clients():
        problems.append((("spec_expect",), f"given, but client {scenario.client!r} does not include `spec`"))
    return problems
