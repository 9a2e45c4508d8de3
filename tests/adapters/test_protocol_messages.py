"""The wire format's parsing: defaults, strictness, and the records it builds."""

from __future__ import annotations

import json

import pytest

from fallback.adapters.protocol_messages import (
    PROTOCOL_VERSION,
    ProtocolError,
    attempt,
    call_result,
    check_hello,
    configure_params,
    decode_reply,
    delete_result,
    encode,
    load_result,
    resolutions,
    update_result,
    write_result,
)
from fallback.client import DeleteResult, SourceConfig
from fallback.client.keys import TableKey


def test_encode_is_one_json_line_and_tolerates_dates() -> None:
    import datetime

    line = encode(3, "create", table="t", row={"at": datetime.date(2024, 10, 1)})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"id": 3, "op": "create", "table": "t", "row": {"at": "2024-10-01"}}


def test_configure_carries_name_url_key_in_order() -> None:
    sources = [SourceConfig("PRIMARY", "http://a", "k1"), SourceConfig("BOLT", "http://b", "k2")]
    assert configure_params(sources) == {
        "sources": [
            {"name": "PRIMARY", "url": "http://a", "key": "k1"},
            {"name": "BOLT", "url": "http://b", "key": "k2"},
        ],
        "tables": {},  # protocol 2: each table's key (none given here: rows keyed by `id`)
    }


def test_configure_carries_each_tables_primary_key() -> None:
    keys = {"orders": TableKey(("tenant_id", "id"), generated=False), "notes": TableKey()}
    assert configure_params([SourceConfig("PRIMARY", "http://a", "k1")], keys)["tables"] == {
        "orders": {"primary_key": ["tenant_id", "id"], "generated": False},
        "notes": {"primary_key": ["id"], "generated": True},
    }


@pytest.mark.parametrize("hello", [{"protocol": 1}, {"name": "old"}])
def test_a_protocol_1_client_is_told_what_changed(hello: dict[str, object]) -> None:
    with pytest.raises(ProtocolError) as caught:
        check_hello(hello)
    message = str(caught.value)
    assert f"the harness speaks protocol {PROTOCOL_VERSION}" in message
    for change in ("`tables`", "`delete`", "`call` {name: 'assign_mt5'", "`filters`"):
        assert change in message
    check_hello({"protocol": PROTOCOL_VERSION})  # the current one passes


def test_delete_and_call_results() -> None:
    removed = delete_result("t", "r1", "BOLT", {"outcome": "ok", "attempts": [], "latency_ms": 2})
    assert isinstance(removed, DeleteResult) and (removed.row_id, removed.source) == ("r1", "BOLT")
    called = call_result("assign_mt5", {"outcome": "fail", "latency_ms": 1, "source": "OLD", "value": {"why": 1}})
    assert (called.name, called.outcome, called.source, called.value, called.attempts) == (
        "assign_mt5",
        "fail",
        "OLD",
        {"why": 1},
        (),
    )
    with pytest.raises(ProtocolError, match="outcome"):
        call_result("x", {"latency_ms": 1})


def test_configure_carries_a_signed_in_users_token_only_when_there_is_one() -> None:
    sources = [SourceConfig("PRIMARY", "http://a", "k1", access_token="t1"), SourceConfig("BOLT", "http://b", "k2")]
    assert configure_params(sources)["sources"] == [
        {"name": "PRIMARY", "url": "http://a", "key": "k1", "access_token": "t1"},
        {"name": "BOLT", "url": "http://b", "key": "k2"},
    ]


@pytest.mark.parametrize("line", [b"hello\n", b"[1, 2]\n", b'{"id": 1}\n', b'{"ok": true}\n'])
def test_lines_that_are_not_replies(line: bytes) -> None:
    assert decode_reply(line) is None


def test_attempt_defaults_and_strictness() -> None:
    parsed = attempt({"source": "BOLT", "op": "select", "kind": "ok", "latency_ms": 3})
    assert (parsed.count, parsed.ambiguous, parsed.status, parsed.message, parsed.latency_ms) == (
        None,
        False,
        None,
        "",
        3.0,
    )
    with pytest.raises(ProtocolError, match="unknown attempt op"):
        attempt({"source": "BOLT", "op": "fetch", "kind": "ok", "latency_ms": 3})
    with pytest.raises(ProtocolError, match="'latency_ms' is missing"):
        attempt({"source": "BOLT", "op": "select", "kind": "ok"})
    with pytest.raises(ProtocolError, match="wrong type"):
        attempt({"source": "BOLT", "op": "select", "kind": "ok", "latency_ms": True})


def test_attempt_kinds_keep_protocol_1_labels() -> None:
    """Protocol 1 spells an error status `http_<NNN>` (spec-js does): it becomes kind `http` with the
    status as its own field; `http` with a `status` field is the same; an unknown kind is kept, as `error`."""

    def parsed(**fields: object) -> tuple[object, ...]:
        a = attempt({"source": "BOLT", "op": "insert", "latency_ms": 3, **fields})
        return a.kind, a.status, a.code, a.label, a.message

    assert parsed(kind="http_503") == ("http", 503, None, "http_503", "")
    assert parsed(kind="http_503:PGRST001") == ("http", 503, "PGRST001", "http_503:PGRST001", "")
    assert parsed(kind="http", status=409, code="23505") == ("http", 409, "23505", "http_409:23505", "")
    assert parsed(kind="http_500", status=503) == ("http", 503, None, "http_503", "")  # the field wins
    assert parsed(kind="refused") == ("refused", None, None, "refused", "")
    assert parsed(kind="teapot", message="short and stout") == ("error", None, None, "error", "teapot: short and stout")
    assert parsed(kind="refused_503")[0] == "error"  # only `http` carries a status


def test_results() -> None:
    loaded = load_result(
        "t", {"rows": [{"id": 1, "_db_source": "OLD"}], "attempts": [], "latency_ms": 1, "stale": True}
    )
    assert loaded.stale and loaded.rows == ({"id": 1, "_db_source": "OLD"},) and loaded.duplicates == ()
    pending = write_result(
        "t", {"id": "r"}, {"row_id": "r", "outcome": "indeterminate", "latency_ms": 2, "pending_source": "BOLT"}
    )
    assert pending.pending is not None and pending.pending_source == "BOLT" and pending.attempts == ()
    with pytest.raises(ProtocolError, match="unknown outcome"):
        write_result("t", {}, {"outcome": "maybe", "latency_ms": 1})
    updated = update_result("t", "r", "OLD", {"outcome": "ok", "latency_ms": 1})
    assert (updated.row_id, updated.source) == ("r", "OLD")
    (resolution,) = resolutions(
        {"resolutions": [{"table": "t", "row_id": "r", "pending_source": "BOLT", "outcome": "ok", "source": "BOLT"}]}
    )
    assert (resolution.pending.source, resolution.source) == ("BOLT", "BOLT")
