"""The checker on any table: rows keyed by the table's primary key (composite keys included), and
deletes. Synthetic histories, no servers: each test breaks the final state on purpose and expects
the matching violation, and checks that the correct outcome passes."""

from __future__ import annotations

from typing import Any

from fallback.checker import check
from fallback.client.keys import TableKey
from fallback.history import Event, History, SourceCall, op_marker, op_token

TABLE = "memberships"
KEY = ("org_id", "user_id")
KEYS = {TABLE: KEY}
SOURCES = ("EU", "US", "LEGACY")


def text(row: dict[str, Any]) -> str:
    return TableKey(KEY).of(row).text


def seeded() -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, dict[str, list[str]]]]:
    """Two sources share an org id and a user id, never the pair: only the whole key tells rows apart."""
    final = {
        "EU": {TABLE: [{"org_id": "o1", "user_id": "u1", "role": "viewer"}]},
        "US": {TABLE: [{"org_id": "o1", "user_id": "u2", "role": "viewer"}]},
        "LEGACY": {TABLE: [{"org_id": "o2", "user_id": "u1", "role": "viewer"}]},
    }
    seed = {s: {TABLE: [text(r) for r in tables[TABLE]]} for s, tables in final.items()}
    return final, seed


def create(history: History, row: dict[str, Any], landed: str | None, outcome: str = "ok") -> Event:
    op_id = history.new_op_id()
    invoke = history.invoke(
        process=0, client="c", op="create", table=TABLE, time_s=op_id, op_id=op_id, row_id=text(row), marker=None
    )
    calls = (SourceCall(source=landed or "EU", kind="ok" if outcome == "ok" else "refused"),)
    error = None if outcome == "ok" else "all_failed"
    return history.complete(
        invoke,
        outcome,
        time_s=op_id + 0.5,
        source=landed,
        row_id=text(row),
        calls=calls,
        error=error,  # type: ignore[arg-type]
    )


def routed(history: History, op: str, row: dict[str, Any], home: str, outcome: str = "ok", **changes: Any) -> Event:
    op_id = history.new_op_id()
    invoke = history.invoke(
        process=1,
        client="c",
        op=op,  # type: ignore[arg-type]
        table=TABLE,
        time_s=op_id,
        op_id=op_id,
        row_id=text(row),
        row_source=home,
        changes={k: (op_token(op_id) if v == "{op}" else v) for k, v in changes.items()},
    )
    error = None if outcome == "ok" else "refused"
    calls = (SourceCall(source=home, kind="ok" if outcome == "ok" else "refused"),)
    return history.complete(
        invoke,
        outcome,
        time_s=op_id + 0.5,
        source=home,
        row_id=text(row),
        calls=calls,
        error=error,  # type: ignore[arg-type]
    )


def test_composite_keys_name_rows_no_false_duplicates_across_sources() -> None:
    final, seed = seeded()
    result = check(History(), final, seed, KEYS)
    assert result.valid, result.render()  # o1 is in two sources, u1 too: never the same (org, user)
    assert result.operations == 0


def test_a_composite_key_row_in_two_sources_is_a_duplicate() -> None:
    final, seed = seeded()
    history = History()
    row = {"org_id": "o3", "user_id": "u9", "role": "admin"}
    create(history, row, "EU")
    final["EU"][TABLE].append(dict(row))
    assert check(history, final, seed, KEYS).valid
    final["US"][TABLE].append(dict(row))  # the same membership written to US as well
    result = check(history, final, seed, KEYS)
    assert result.counts() == {"duplicate_row": 1}
    assert result.violations[0].row_id == '["o3","u9"]' and result.violations[0].sources == ("EU", "US")


def test_a_lost_composite_key_create_and_a_phantom_one() -> None:
    final, seed = seeded()
    history = History()
    create(history, {"org_id": "o4", "user_id": "u4"}, "US")  # acked in US, never stored
    create(history, {"org_id": "o5", "user_id": "u5"}, None, outcome="fail")
    final["LEGACY"][TABLE].append({"org_id": "o5", "user_id": "u5", "role": "viewer"})  # failed, yet exists
    result = check(history, final, seed, KEYS)
    assert result.counts() == {"lost_write": 1, "phantom_write": 1}
    assert {v.row_id for v in result.violations} == {'["o4","u4"]', '["o5","u5"]'}


def test_an_update_of_a_composite_key_row_is_checked_by_the_whole_key() -> None:
    final, seed = seeded()
    history = History()
    row = final["US"][TABLE][0]
    update = routed(history, "update", row, "US", role="{op}")
    token = update.op_id and op_token(update.op_id)
    assert check(history, final, seed, KEYS).counts() == {"lost_update": 1}  # acked, not applied
    row["role"] = token
    assert check(history, final, seed, KEYS).valid
    final["EU"][TABLE][0]["role"] = token  # EU's (o1, u1) got it too: same org, other row, other source
    result = check(history, final, seed, KEYS)
    assert result.counts() == {"misrouted_update": 1} and result.violations[0].sources == ("EU",)


def test_an_acked_delete_whose_row_is_still_there_is_lost() -> None:
    final, seed = seeded()
    history = History()
    routed(history, "delete", final["US"][TABLE][0], "US")
    result = check(history, final, seed, KEYS)
    assert result.counts() == {"lost_delete": 1}
    assert result.passes("no_misrouted_updates") and not result.passes("no_lost_writes")
    final["US"][TABLE].clear()
    assert check(history, final, seed, KEYS).valid


def test_a_failed_delete_whose_row_is_gone_is_a_phantom() -> None:
    final, seed = seeded()
    history = History()
    row = final["LEGACY"][TABLE][0]
    routed(history, "delete", row, "LEGACY", outcome="fail")
    assert check(history, final, seed, KEYS).valid  # failed, and the row is still there
    final["LEGACY"][TABLE].clear()
    result = check(history, final, seed, KEYS)
    assert result.counts() == {"phantom_delete": 1}
    assert "acknowledged as failed" in result.violations[0].message


def test_a_not_found_delete_is_no_phantom_and_a_later_write_excuses_a_lost_delete() -> None:
    final, seed = seeded()
    history = History()
    row = final["EU"][TABLE][0]
    first = routed(history, "delete", row, "EU")
    final["EU"][TABLE].clear()
    op_id = history.new_op_id()
    invoke = history.invoke(
        process=2, client="c", op="delete", table=TABLE, time_s=9, op_id=op_id, row_id=text(row), row_source="EU"
    )
    history.complete(invoke, "fail", time_s=9.5, source="EU", row_id=text(row), error="not_found")
    assert first.type == "ok" and check(history, final, seed, KEYS).valid


def test_a_delete_sent_to_another_source_is_misrouted() -> None:
    final, seed = seeded()
    history = History()
    row = dict(final["EU"][TABLE][0])
    op_id = history.new_op_id()
    invoke = history.invoke(
        process=1, client="c", op="delete", table=TABLE, time_s=1, op_id=op_id, row_id=text(row), row_source="EU"
    )
    history.complete(invoke, "ok", time_s=1.5, source="LEGACY", row_id=text(row))  # the client says LEGACY
    final["EU"][TABLE].clear()
    result = check(history, final, seed, KEYS)
    assert result.counts() == {"misrouted_delete": 1} and not result.passes("no_misrouted_updates")


def test_a_calls_token_is_found_in_any_column_and_outside_its_source() -> None:
    final = {"EU": {"user_challenges": [{"id": "c1", "mt5_login": None}]}, "US": {"user_challenges": []}}
    seed = {"EU": {"user_challenges": ["c1"]}, "US": {"user_challenges": []}}
    history = History()
    op_id = history.new_op_id()
    token = op_token(op_id)
    invoke = history.invoke(
        process=1,
        client="c",
        op="call",
        call="assign_mt5",
        table="user_challenges",
        time_s=1,
        op_id=op_id,
        row_id="c1",
        row_source="EU",
        changes={"login": token},  # by argument name: the flow stores it in a column of its choice
    )
    history.complete(invoke, "ok", time_s=1.5, source="EU", row_id="c1")
    assert check(history, final, seed).counts() == {"lost_update": 1}
    final["EU"]["user_challenges"][0]["mt5_login"] = token
    assert check(history, final, seed).valid
    final["US"]["user_challenges"].append({"id": "c9", "mt5_login": token})
    assert check(history, final, seed).counts() == {"misrouted_update": 1}


def test_a_marker_in_any_text_column_ties_rows_to_their_create() -> None:
    history = History()
    op_id = history.new_op_id()
    invoke = history.invoke(
        process=0, client="spec", op="create", table="notes", time_s=1, op_id=op_id, marker=op_marker(op_id)
    )
    history.complete(invoke, "ok", time_s=2, source="EU", row_id="41")
    final = {
        "EU": {"notes": [{"id": 41, "body": op_marker(op_id)}]},
        "US": {"notes": [{"id": 7, "body": op_marker(op_id)}]},  # the same create, committed twice
    }
    result = check(history, final, {"EU": {"notes": []}, "US": {"notes": []}})
    assert result.counts() == {"duplicate_write": 1}


def test_reference_data_seeded_alike_in_several_sources_is_no_duplicate() -> None:
    # found running saas-billing: tenants replicated in every project (same ids) were reported duplicate_row
    shared = {"org_id": "o1", "user_id": "u9", "role": "owner"}
    final: dict[str, dict[str, list[dict[str, Any]]]] = {s: {TABLE: [dict(shared)]} for s in SOURCES}
    seed = {s: {TABLE: [text(shared)]} for s in SOURCES}
    assert check(History(), final, seed, keys=KEYS).valid
    final["US"][TABLE].append(dict(shared))  # one copy more than seeded: the run made it
    seed.pop("LEGACY")  # and one where it was never seeded
    found = check(History(), final, seed, keys=KEYS)
    assert [v.kind for v in found.violations] == ["duplicate_row"]
