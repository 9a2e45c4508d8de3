import threading

import pytest

from fallback.history import (
    Event,
    History,
    SourceCall,
    carries_token,
    marker_op_id,
    op_marker,
    op_token,
)


def test_invoke_complete_pairing_and_latency() -> None:
    history = History()
    invoke = history.invoke(process=3, client="reference", op="create", table="user_challenges", time_s=1.0)
    done = history.complete(invoke, "ok", time_s=1.25, source="BOLT", row_id="r1")
    assert (invoke.index, done.index) == (0, 1)
    assert done.op_id == invoke.op_id and done.process == 3 and done.op == "create"
    assert done.latency_ms == pytest.approx(250)
    (operation,) = history.operations()
    assert operation.outcome == "ok" and operation.events == (invoke, done)


def test_pending_and_resolutions() -> None:
    history = History()
    op_id = history.new_op_id()
    invoke = history.invoke(
        process=0, client="spec", op="create", table="user_challenges", time_s=0, op_id=op_id, marker=op_marker(op_id)
    )
    history.complete(invoke, "indeterminate", time_s=0.5, source="PRIMARY", error="timeout")
    history.complete(invoke, "resolve", time_s=3.0, outcome="ok", source="PRIMARY", found_in=("PRIMARY",))
    running = history.invoke(process=1, client="spec", op="load", table="user_challenges", time_s=4)
    first, second = history.operations()
    assert first.outcome == "indeterminate" and len(first.resolutions) == 1
    assert first.resolutions[0].latency_ms is None
    assert second.outcome == "pending" and second.invoke == running
    assert history.operation(op_id).invoke.marker == "op-1@harness.test"
    assert [e.type for e in history.completions()] == ["indeterminate"]


def test_json_round_trip() -> None:
    history = History()
    invoke = history.invoke(process=0, client="reference", op="load", table="user_challenges", time_s=0)
    history.complete(
        invoke,
        "ok",
        time_s=0.1,
        calls=(
            SourceCall(source="PRIMARY", kind="http", status=503, code="PGRST001", latency_ms=3.5),
            SourceCall(source="BOLT", kind="ok"),
        ),
        rows_by_source={"BOLT": ("a", "b")},
        degraded=True,
    )
    again = History.from_json(history.to_json())
    assert again.events == history.events
    assert again.events[1].failed_sources() == ("PRIMARY",)
    assert again.new_op_id() == 2


def test_events_are_frozen_and_strict() -> None:
    event = Event(type="invoke", op_id=1, process=0, client="c", op="load", table="t", time_s=0)
    with pytest.raises(ValueError):
        event.op_id = 2
    with pytest.raises(ValueError):
        Event(type="invoke", op_id=1, process=0, client="c", op="truncate", table="t", time_s=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Event(type="invoke", op_id=1, process=0, client="c", op="load", table="t", time_s=0, colour="red")  # type: ignore[call-arg]


def test_threads_append_without_losing_events() -> None:
    history = History()

    def work(process: int) -> None:
        for i in range(200):
            invoke = history.invoke(process=process, client="c", op="load", table="t", time_s=i)
            history.complete(invoke, "ok", time_s=i + 0.1)

    threads = [threading.Thread(target=work, args=(p,)) for p in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(history) == 1600
    assert [e.index for e in history] == list(range(1600))
    assert len({op.op_id for op in history.operations()}) == 800
    assert all(op.outcome == "ok" for op in history.operations())


def test_markers_and_tokens() -> None:
    assert marker_op_id(op_marker(42)) == 42
    assert marker_op_id("user1@primary.example") is None and marker_op_id(None) is None
    assert carries_token(op_token(7), 7) and not carries_token("op-71", 7) and not carries_token("op-7-1", 7)


def test_describe_is_one_readable_line() -> None:
    history = History()
    invoke = history.invoke(
        process=2,
        client="r",
        op="assign_mt5",
        table="user_challenges",
        time_s=1.5,
        row_id="abc",
        row_source="BOLT",
        changes={"mt5_login": "op-1"},
    )
    done = history.complete(
        invoke, "fail", time_s=2, error="source_unavailable", calls=(SourceCall(source="BOLT", kind="refused"),)
    )
    assert (
        invoke.describe()
        == "#0 t=1.500s p2 invoke        assign_mt5 user_challenges op=1 row=abc@BOLT set mt5_login='op-1'"
    )
    assert "failed BOLT" in done.describe() and "error=source_unavailable" in done.describe()


def test_a_call_kind_is_a_kind_its_status_and_code_are_fields() -> None:
    """The engine glued the PostgREST code onto the kind (`http_503:PGRST001`): now three fields, and a
    glued label is refused, not stored as a kind no reader knows."""
    call = SourceCall(source="PRIMARY", kind="http", status=503, code="PGRST001")
    assert call.label == "http_503:PGRST001"
    for glued in ("http_503:PGRST001", "http_503", "teapot"):
        with pytest.raises(ValueError):
            SourceCall(source="PRIMARY", kind=glued)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Event(type="fail", op_id=1, process=0, client="c", op="load", table="t", time_s=1, error="no source answered")  # type: ignore[arg-type]
