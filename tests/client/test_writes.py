"""Idempotent write failover: a row never has two live copies, whatever the faults."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fallback.client.errors import RoutingError
from fallback.client.keys import DEFAULT_KEY, RowKey, TableKey
from fallback.client.results import Attempt, PendingWrite, Row
from fallback.client.writes import WritePolicy, create, prepare, resolve

from .fakes import BEHAVIOURS, FakeSource, no_sleep

POLICY = WritePolicy(budget=100.0, probes=3, backoff=0.01, sleep=no_sleep)


def sources(*scripts: list[str]) -> list[FakeSource]:
    return [FakeSource(name, script) for name, script in zip(("PRIMARY", "BOLT", "OLD"), scripts, strict=False)]


def holders(all_sources: list[FakeSource], row_id: str) -> list[str]:
    return [s.name for s in all_sources if row_id in s.rows()]


def test_prepare_generates_an_id_once_and_drops_the_tag() -> None:
    body = prepare({"email": "a", "_db_source": "BOLT"})
    assert uuid.UUID(body["id"]) and "_db_source" not in body
    assert prepare({"id": "given"})["id"] == "given"


async def test_healthy_primary_takes_the_row() -> None:
    s = sources([], [], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert (result.outcome, result.source) == ("ok", "PRIMARY")
    assert holders(s, result.row_id or "") == ["PRIMARY"]
    assert result.row is not None and result.row["_db_source"] == "PRIMARY"


async def test_definite_failures_fall_through_to_old_then_error() -> None:
    s = sources(["refused"], ["http_503"], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert (result.outcome, result.source) == ("ok", "OLD")
    assert [a.label for a in result.attempts] == ["refused", "http_503", "ok"]
    assert len({a.row_id for a in result.attempts}) == 1  # the same id throughout
    s = sources(["refused"], ["refused"], ["refused"])
    failed = await create(s, "t", {"email": "a"}, POLICY)
    assert failed.outcome == "fail" and failed.source is None and failed.pending is None


async def test_lost_reply_is_found_by_probe_and_not_written_elsewhere() -> None:
    s = sources(["lost_reply"], [], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert (result.outcome, result.source) == ("ok", "PRIMARY")
    assert [a.op for a in result.attempts] == ["upsert", "probe"]
    assert result.attempts[0].ambiguous
    assert s[1].calls == [] and holders(s, result.row_id or "") == ["PRIMARY"]


async def test_lost_request_is_re_sent_to_the_same_source() -> None:
    s = sources(["lost_request"], [], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert (result.outcome, result.source) == ("ok", "PRIMARY")
    assert [a.op for a in result.attempts] == ["upsert", "probe", "upsert"]
    assert holders(s, result.row_id or "") == ["PRIMARY"]


async def test_unreachable_after_ambiguity_is_indeterminate_and_pending() -> None:
    s = sources(["lost_reply", "refused", "refused", "refused"], [], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert result.outcome == "indeterminate" and result.source is None
    assert result.pending is not None and result.pending.source == "PRIMARY"
    assert s[1].calls == []  # never failed over blindly
    resolution = await resolve(s, result.pending)  # PRIMARY answers again
    assert (resolution.outcome, resolution.source, resolution.found_in) == ("ok", "PRIMARY", ("PRIMARY",))


async def test_resolve_re_sends_a_write_that_never_arrived() -> None:
    s = sources(["lost_request", "refused", "refused", "refused"], [], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert result.pending is not None and holders(s, result.row_id or "") == []
    resolution = await resolve(s, result.pending)
    assert (resolution.outcome, resolution.source) == ("ok", "PRIMARY")
    assert holders(s, result.row_id or "") == ["PRIMARY"]


async def test_resolve_keeps_the_highest_priority_copy_of_a_duplicate() -> None:
    s = sources(["lost_reply", "refused", "refused", "refused"], [], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert result.pending is not None
    s[1].rows()[result.pending.row_id] = dict(result.pending.row)  # e.g. another client failed over
    resolution = await resolve(s, result.pending)
    assert resolution.found_in == ("PRIMARY", "BOLT") and resolution.deleted_from == ("BOLT",)
    assert holders(s, result.pending.row_id) == ["PRIMARY"]


async def test_resolve_stays_pending_while_the_source_is_down() -> None:
    s = sources(["lost_reply", "refused", "refused", "refused", "refused"], [], [])
    result = await create(s, "t", {"email": "a"}, POLICY)
    assert result.pending is not None
    resolution = await resolve(s, result.pending)
    assert resolution.outcome == "indeterminate" and resolution.source is None


async def test_budget_bounds_the_probes() -> None:
    clock = iter(range(100))
    policy = WritePolicy(budget=2.5, probes=10, backoff=0.5, sleep=no_sleep, clock=lambda: float(next(clock)))
    s = sources(["lost_reply"] + ["refused"] * 10, [], [])
    result = await create(s, "t", {"email": "a"}, policy)
    assert result.outcome == "indeterminate"
    assert len(result.attempts) < 4


behaviour = st.sampled_from(BEHAVIOURS)
script = st.lists(behaviour, max_size=8)


@settings(max_examples=300)
@given(script, script, script, script)
async def test_never_two_live_copies(primary: list[str], bolt: list[str], old: list[str], later: list[str]) -> None:
    s = sources(primary, bolt, old)
    result = await create(s, "t", {"email": "a"}, POLICY)
    row_id = result.row_id or ""
    found = holders(s, row_id)
    assert len(found) <= 1
    if result.outcome == "ok":
        assert found == [result.source]
    elif result.outcome == "fail":
        assert found == []
    else:
        assert result.pending is not None and set(found) <= {result.pending.source}
        for source in s:  # whatever happens while resolving, still at most one copy
            source.script = list(later)
        resolution = await resolve(s, result.pending)
        assert len(holders(s, row_id)) <= 1
        if resolution.outcome == "ok":
            assert holders(s, row_id) == [resolution.source]


class SlowSource(FakeSource):
    """Every call takes `cost` seconds of a fake clock."""

    def __init__(self, name: str, script: list[str], now: list[float], cost: float) -> None:
        super().__init__(name, script)
        self.now, self.cost = now, cost

    async def upsert(self, table: str, row: Row, key: TableKey = DEFAULT_KEY) -> tuple[Attempt, list[dict[str, Any]]]:
        self.now[0] += self.cost
        return await super().upsert(table, row, key)

    async def probe(self, table: str, key: RowKey) -> tuple[Attempt, list[dict[str, Any]]]:
        self.now[0] += self.cost
        return await super().probe(table, key)


@given(st.floats(0.5, 10), st.floats(0.1, 3), st.lists(behaviour, max_size=10))
async def test_probes_never_run_past_the_budget(budget: float, cost: float, script_: list[str]) -> None:
    now = [0.0]
    policy = WritePolicy(budget=budget, probes=5, backoff=0.01, call_time=cost, sleep=no_sleep, clock=lambda: now[0])
    source = SlowSource("PRIMARY", ["lost_request", *script_], now, cost)
    await create([source], "t", {"email": "a"}, policy)
    assert now[0] <= max(budget, cost) + 1e-9  # the first attempt always goes out


TENANT_KEY = TableKey(("tenant_id", "id"), generated=False)


def test_prepare_needs_every_column_of_a_composite_key() -> None:
    assert prepare({"tenant_id": "acme", "id": 7}, TENANT_KEY) == {"tenant_id": "acme", "id": 7}
    with pytest.raises(RoutingError, match="tenant_id"):
        prepare({"id": 7}, TENANT_KEY)  # not generated here: a composite key comes with the row


async def test_composite_key_failover_pins_and_probes_by_the_whole_key() -> None:
    primary, bolt = sources(["lost_reply", "ok"], [])
    row = {"tenant_id": "acme", "id": 7, "note": "op-1"}
    result = await create([primary, bolt], "orders", row, POLICY, TENANT_KEY)
    assert result.outcome == "ok" and result.source == "PRIMARY"
    assert result.row_id == '["acme","7"]'  # the key's text, as the history and checker name it
    assert list(primary.rows("orders")) == ['["acme","7"]'] and not bolt.rows("orders")
    assert primary.calls == ["upsert", "probe"]


async def test_resolve_finds_a_composite_key_row_and_deletes_the_extra_copy() -> None:
    primary, bolt = sources([], [])
    row = {"tenant_id": "acme", "id": 7}
    text = TENANT_KEY.of(row).text
    primary.rows("orders")[text] = dict(row)
    bolt.rows("orders")[text] = dict(row)
    pending = PendingWrite("orders", text, "PRIMARY", row, 0.0)
    resolution = await resolve([primary, bolt], pending, TENANT_KEY)
    assert resolution.outcome == "ok" and resolution.source == "PRIMARY"
    assert resolution.deleted_from == ("BOLT",) and not bolt.rows("orders")
