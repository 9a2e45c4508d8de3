"""The fault registry without servers: what its entries say, what every reader derives, and the shape of a new kind."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import ValidationError

from fallback.client.config import sources_from_env
from fallback.explore.strategies import EXPLORE_TOXICS
from fallback.faults import (
    FAULT_KINDS,
    KINDS,
    MAIN_ATTRIBUTE,
    AddToxic,
    Attribute,
    Controls,
    Fault,
    FaultKind,
    all_targets,
    fault_kind,
    target_kind,
    targets_of,
)
from fallback.faults_cli import parse_fault
from fallback.names import source_names
from fallback.project import Project, SourceSpec, activate
from fallback.scenario import TOXIC_ATTRIBUTES, TOXICS, known_sources, known_targets
from fallback.scenario import Fault as ScenarioFault
from fallback.stack.embedded import StackOptions
from fallback.toxics import TOXIC_TYPES, Toxiproxy


def test_every_reader_derives_from_the_one_table() -> None:
    assert TOXICS == FAULT_KINDS == tuple(KINDS)
    assert TOXIC_ATTRIBUTES["latency"] == (("latency",), ("jitter",))
    assert TOXIC_ATTRIBUTES["slicer"] == (("average_size",), ("size_variation", "delay"))
    assert TOXIC_ATTRIBUTES["down"] == ((), ())
    assert dict(MAIN_ATTRIBUTE) == {k.name: k.main for k in KINDS.values() if k.main is not None}
    assert set(EXPLORE_TOXICS) == {k.name for k in KINDS.values() if k.explore_rank is not None}
    # explore's draw (and shrink) order of the network kinds is unchanged; the database kinds, then the
    # process kinds are appended (the first ones keep their ranks)
    network = ("down", "latency", "timeout", "reset_peer", "slow_close", "bandwidth", "limit_data")
    database = ("read_only", "lock", "slow_queries", "connections_exhausted")
    edge = ("edge_status", "edge_truncated", "edge_stalled", "edge_slow_first_byte")
    inside = ("tokens_expire", "pool_exhausted")
    assert (*network, *database, "kill", "pause", "restart", "jwt_rotated", *edge, *inside) == EXPLORE_TOXICS


def test_source_names_are_spelled_once() -> None:
    names = source_names()
    assert names == known_sources() == StackOptions().sources == ("PRIMARY", "BOLT", "OLD")  # the built-in example
    assert targets_of(["link"]) == tuple(f"{s}.{link}" for s in names for link in ("api", "db"))
    targets = all_targets()
    assert targets_of(["link", "source", "process"]) == targets == known_targets()  # database kinds: the source
    parts = ("api", "db", "postgres", "gateway", "")
    assert tuple(f"{s}.{part}" if part else s for s in names for part in parts) == targets


def test_every_reader_follows_the_active_project(tmp_path: Path) -> None:
    # read when used, not at import: `--project` activates the project after every module is imported
    sources = tuple(SourceSpec(name) for name in ("MAIN", "REPLICA_EU", "LEGACY"))
    with activate(Project(root=tmp_path, name="other", sources=sources, migrations=())):
        assert source_names() == known_sources() == StackOptions().sources == ("MAIN", "REPLICA_EU", "LEGACY")
        assert "REPLICA_EU.api" in known_targets() and not any(t.startswith("BOLT") for t in known_targets())
        prefixes = ("", "MAIN_", "LEGACY_", "BOLT_")  # the first source may read the plain SUPABASE_URL
        env = {f"{prefix}SUPABASE_{var}": "http://h" for prefix in prefixes for var in ("URL", "ANON_KEY")}
        assert tuple(s.name for s in sources_from_env(env)) == ("MAIN", "LEGACY")  # BOLT: not a source of it
    assert source_names() == ("PRIMARY", "BOLT", "OLD")


def test_toxics_use_toxiproxys_own_names() -> None:
    for kind in KINDS.values():
        if isinstance(kind.applier, AddToxic):
            assert kind.applier.type in TOXIC_TYPES and kind.takes_envelope()
        else:
            assert not kind.takes_envelope()
    assert fault_kind("bandwidth").main == "rate" and fault_kind("limit_data").main == "bytes"


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("PRIMARY.api", "link"),
        ("OLD.db", "link"),
        ("BOLT.postgres", "process"),
        ("BOLT.gateway", "process"),
        ("BOLT", "source"),
        ("BOLT.nope", None),
        ("", None),
        ("a b.api", None),
    ],
)
def test_target_kinds(target: str, kind: str | None) -> None:
    assert target_kind(target) == kind


def test_attribute_checks() -> None:
    ms = Attribute("latency", "ms")
    assert ms.check(300) == 300 and ms.check(300.0) == 300 and isinstance(ms.check(300.0), int)
    for bad, message in [
        (-1, ">= 0"),
        (1.5, "whole number of ms"),
        (True, "a number"),
        ("300", "a number"),
        (float("nan"), "a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            ms.check(bad)
    share = Attribute("share", "fraction", default=1.0, integer=False, maximum=1)
    assert share.check(0.3) == 0.3 and share.check(1) == 1.0
    with pytest.raises(ValueError, match="share must be <= 1"):
        share.check(1.5)


def test_fault_records_check_against_their_entry() -> None:
    fault = Fault("BOLT.api", "latency", {"latency": 250})
    assert fault.resolved_attributes == {"latency": 250, "jitter": 0}
    assert list(Fault("OLD.db", "slicer", {"average_size": 8}).resolved_attributes) == [
        "average_size",
        "size_variation",
        "delay",
    ]
    for args, message in [
        (("BOLT.api", "latency"), "latency needs latency"),  # no silent 1000 ms any more
        (("BOLT.api", "lag"), "unknown fault 'lag'"),
        (("all", "down"), "down acts on `<SOURCE>.api|db`, not 'all'"),
        (("BOLT.postgres", "down"), "not 'BOLT.postgres'"),
    ]:
        with pytest.raises(ValueError, match=message):
            Fault(*args)  # type: ignore[arg-type]


def test_scenario_attributes_follow_the_registrys_types() -> None:
    base = {"target": "PRIMARY.api", "toxic": "latency"}
    with pytest.raises(ValidationError, match=r"latency must be a whole number of ms, got 1\.5"):
        ScenarioFault.model_validate({**base, "attributes": {"latency": 1.5}})
    assert ScenarioFault.model_validate({**base, "attributes": {"latency": 300}}).attributes == {"latency": 300}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("BOLT.api", "latency", None), "latency needs a value: its latency in ms"),
        (("BOLT.api", "bandwidth", None), "bandwidth needs a value: its rate in KB/s"),
        (("BOLT.api", "down", 5.0), "`down` takes no value"),
        (("BOLT.api", "lag", None), "unknown fault 'lag'"),
        (("BOLT.api", "latency", 2.5), "latency must be a whole number of ms, got 2.5"),
        (("BOLT.api", "latency", 1e30), "latency is at most 2147483647 ms, got 1e+30"),  # was Toxiproxy's raw 400
    ],
)
def test_command_line_faults_say_what_is_wrong(args: tuple[str, str, float | None], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_fault(*args)


def test_command_line_options_that_do_not_apply() -> None:
    with pytest.raises(ValueError, match="--jitter applies to latency, not to timeout"):
        parse_fault("BOLT.api", "timeout", None, jitter=5)
    with pytest.raises(ValueError, match="`down` disables the whole proxy: --stream does not apply"):
        parse_fault("BOLT.api", "down", None, stream="upstream")
    assert parse_fault("BOLT.api", "timeout", None) == Fault("BOLT.api", "timeout")  # a blackhole by default
    assert parse_fault("BOLT.api", "latency", 300, jitter=10).attributes == {"latency": 300, "jitter": 10}


@dataclass
class _Recorder:
    """A stand-in applier: the shape a process applier (issue 15) would have."""

    family: str = "recorder"
    calls: list[tuple[str, str]] = field(default_factory=list)

    def envelope_error(self, kind: str, field: str) -> str | None:
        return f"`{kind}` is not a Toxiproxy toxic: `{field}` does not apply"

    def apply(self, fault: Fault, controls: Controls) -> None:
        self.calls.append(("apply", fault.target))

    def clear(self, fault: Fault, controls: Controls) -> None:
        self.calls.append(("clear", fault.target))

    def known_targets(self, controls: Controls) -> tuple[str, ...]:
        return ()

    def clear_target(self, target: str, controls: Controls) -> None: ...

    def reset(self, controls: Controls) -> None: ...


def test_a_new_kind_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kind with its own applier, process targets and a float attribute needs nothing but its entry."""
    recorder = _Recorder()
    pause = FaultKind(
        "pause",
        "stops the process (SIGSTOP) for the window",
        recorder,
        (Attribute("share", "fraction", default=1.0, integer=False, maximum=1),),
        main="share",
        targets=frozenset({"process"}),
        exclusive=True,
    )
    monkeypatch.setitem(KINDS, "pause", pause)  # type: ignore[index]
    fault = Fault("PRIMARY.postgres", "pause", {"share": 0.5})
    controls = Controls(Toxiproxy("http://127.0.0.1:9"))
    fault.apply(controls)
    fault.clear(controls)
    assert recorder.calls == [("apply", "PRIMARY.postgres"), ("clear", "PRIMARY.postgres")]
    assert not pause.takes_envelope()
    with pytest.raises(ValueError, match=r"pause acts on `<SOURCE>\.postgres\|gateway`, not 'PRIMARY.api'"):
        Fault("PRIMARY.api", "pause")
    with pytest.raises(ValueError, match="main attribute 'nope'"):
        FaultKind("x", "y", recorder, main="nope")


def test_the_scenario_format_documents_every_kind() -> None:
    """FORMAT.md's table of kinds follows the registry: every kind, every attribute, required ones in bold."""
    doc = (Path(__file__).parents[2] / "fallback" / "scenario" / "FORMAT.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", doc.split("| toxic | attributes", 1)[1], re.M))
    assert set(FAULT_KINDS) <= set(rows)
    for kind in KINDS.values():
        for attribute in kind.attributes:
            written = f"**`{attribute.name}`**" if attribute.required else f"`{attribute.name}`"
            assert written in rows[kind.name], (kind.name, attribute.name)
            assert attribute.required or f"**`{attribute.name}`**" not in rows[kind.name]


def test_reset_all_resumes_processes_before_the_database_undo(monkeypatch: pytest.MonkeyPatch) -> None:
    # found profiling explore: a paused PostgreSQL was reset after the database family, whose probe then waited
    # out its connect timeout (a 10 s schedule instead of 1 s)
    import fallback.faults._kinds as kinds

    done: list[str] = []

    @dataclass
    class Recorder:
        family: str

        def reset(self, controls: object) -> None:
            done.append(self.family)

    families = ("toxiproxy", "database", "process", "auth")
    monkeypatch.setattr(kinds, "appliers", lambda: tuple(Recorder(f) for f in families))
    kinds.reset_all(object())  # type: ignore[arg-type]
    assert done == ["process", "toxiproxy", "database", "auth"]
    assert {a.family for a in kinds.appliers()} == set(families)
