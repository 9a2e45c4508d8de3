"""The checker against deliberately broken runs: each break must be found, clean runs must pass."""

from hypothesis import given, settings
from hypothesis import strategies as st

from fallback.checker import FinalData, check
from fallback.history import History, SourceCall, op_marker

from .sim import SOURCES, TABLE, Sim

DOWN_PRIMARY = frozenset({"PRIMARY"})


def clean_sim() -> Sim:
    sim = Sim()
    sim.seed_rows({"PRIMARY": 3, "BOLT": 2, "OLD": 1})
    sim.load()
    sim.create()
    sim.create(down=DOWN_PRIMARY)
    sim.assign("BOLT", 0)
    sim.assign("PRIMARY", 1, down=DOWN_PRIMARY)
    sim.load(down=DOWN_PRIMARY)
    sim.create(down=frozenset(SOURCES))
    return sim


def test_clean_run_passes() -> None:
    sim = clean_sim()
    result = check(sim.history, sim.final, sim.seed)
    assert result.valid, result.render()
    assert result.operations == 7
    assert result.passes("no_lost_writes") and result.passes("no_duplicates") and result.passes("no_misrouted_updates")
    assert result.summary() == "checker: 7 operations, no violations; indeterminate writes: none"


def test_lost_write_is_detected() -> None:
    sim = clean_sim()
    acked = sim.history.completions(op="create")[1]  # landed in BOLT
    sim.final["BOLT"][TABLE] = [r for r in sim.rows("BOLT") if r["id"] != acked.row_id]
    result = check(sim.history, sim.final, sim.seed)
    (violation,) = result.violations
    assert violation.kind == "lost_write" and violation.row_id == acked.row_id
    assert not result.passes("no_lost_writes") and result.passes("no_duplicates")
    replay = violation.replay().splitlines()
    assert replay[0].startswith(f"lost_write: create op {acked.op_id} acknowledged ok in BOLT")
    assert "invoke" in replay[1] and f"marker={op_marker(acked.op_id)}" in replay[1]
    assert " ok " in replay[2] and "-> BOLT" in replay[2] and "failed PRIMARY" in replay[2]
    assert replay[3].startswith("  final: BOLT.user_challenges has no row")


def test_write_landing_elsewhere_than_acknowledged_is_lost() -> None:
    sim = clean_sim()
    acked = sim.history.completions(op="create")[0]  # PRIMARY
    row = next(r for r in sim.rows("PRIMARY") if r["id"] == acked.row_id)
    sim.rows("PRIMARY").remove(row)
    sim.rows("OLD").append(row)
    (violation,) = check(sim.history, sim.final, sim.seed).violations
    assert violation.kind == "lost_write" and violation.sources == ("PRIMARY", "OLD")
    assert "found in: OLD" in violation.final[0]


def test_duplicate_by_marker_is_detected() -> None:
    """A failed-over create that had committed in PRIMARY and was written again to BOLT with a new id."""
    sim = clean_sim()
    acked = sim.history.completions(op="create")[1]
    sim.rows("PRIMARY").append({"id": "other-id", "email": op_marker(acked.op_id)})
    result = check(sim.history, sim.final, sim.seed)
    assert [v.kind for v in result.violations] == ["duplicate_write"]
    assert result.violations[0].sources == ("PRIMARY", "BOLT") or set(result.violations[0].sources) == {
        "PRIMARY",
        "BOLT",
    }
    assert not result.passes("no_duplicates") and result.passes("no_lost_writes")


def test_duplicate_by_id_is_detected() -> None:
    sim = clean_sim()
    seeded = dict(sim.rows("OLD")[0])
    sim.rows("PRIMARY").append(seeded)
    (violation,) = check(sim.history, sim.final, sim.seed).violations
    assert violation.kind == "duplicate_row" and "(seeded in OLD)" in violation.message


def test_misrouted_update_is_detected() -> None:
    sim = clean_sim()
    update = sim.history.completions(op="assign_mt5")[0]  # BOLT row, ok
    login = sim.history.operation(update.op_id).invoke.changes["mt5_login"]
    sim.rows("PRIMARY")[0]["mt5_login"] = login
    result = check(sim.history, sim.final, sim.seed)
    (violation,) = result.violations
    assert violation.kind == "misrouted_update" and violation.sources == ("PRIMARY",)
    assert not result.passes("no_misrouted_updates")
    assert "invoke" in violation.replay() and "row=" in violation.replay()


def test_failed_update_that_created_a_row_elsewhere_is_misrouted() -> None:
    sim = clean_sim()
    failed = sim.history.completions(op="assign_mt5")[1]  # PRIMARY down: failed
    invoke = sim.history.operation(failed.op_id).invoke
    sim.rows("BOLT").append({"id": invoke.row_id, "email": "copy"})
    kinds = {v.kind for v in check(sim.history, sim.final, sim.seed).violations}
    assert "misrouted_update" in kinds


def test_client_reporting_another_source_is_misrouted() -> None:
    history = History()
    invoke = history.invoke(
        process=0,
        client="c",
        op="update",
        table=TABLE,
        time_s=0,
        row_id="r",
        row_source="BOLT",
        changes={"status": "x"},
    )
    history.complete(invoke, "ok", time_s=1, source="PRIMARY", row_id="r")
    final: FinalData = {"PRIMARY": {TABLE: []}, "BOLT": {TABLE: [{"id": "r", "status": "x"}]}}
    (violation,) = check(history, final).violations
    assert violation.kind == "misrouted_update" and violation.sources == ("PRIMARY",)


def test_lost_update_is_detected() -> None:
    sim = clean_sim()
    sim.rows("BOLT")[0]["mt5_login"] = None
    (violation,) = check(sim.history, sim.final, sim.seed).violations
    assert violation.kind == "lost_update" and "mt5_login=None" in violation.final[0]


def test_read_from_failed_source_is_detected() -> None:
    sim = Sim()
    sim.seed_rows({"PRIMARY": 2, "BOLT": 1})
    load = sim.load(down=DOWN_PRIMARY)
    broken = load.model_copy(update={"rows_by_source": {**load.rows_by_source, "PRIMARY": ("p1", "p2")}})
    history = History([e if e.index != load.index else broken for e in sim.history.events])
    (violation,) = check(history, sim.final, sim.seed).violations
    assert violation.kind == "read_from_failed_source" and violation.sources == ("PRIMARY",)
    assert "reported PRIMARY failed (refused)" in violation.message
    stale = broken.model_copy(update={"stale": True})
    assert check(History([*sim.history.events[:-1], stale]), sim.final, sim.seed).valid


def test_phantom_write_is_detected() -> None:
    sim = clean_sim()
    failed = sim.history.completions(op="create")[2]
    assert failed.type == "fail"
    sim.rows("OLD").append({"id": "x", "email": op_marker(failed.op_id)})
    (violation,) = check(sim.history, sim.final, sim.seed).violations
    assert violation.kind == "phantom_write" and violation.sources == ("OLD",)


def test_indeterminate_writes_are_classified() -> None:
    sim = Sim()
    landed = sim.create(ambiguous="PRIMARY", commits=True)
    absent = sim.create(ambiguous="PRIMARY", commits=False)
    twice = sim.create(down=DOWN_PRIMARY, ambiguous="BOLT", commits=True)
    sim.rows("OLD").append({"id": "again", "email": op_marker(twice.op_id)})
    sim.resolve(landed, "ok", "PRIMARY")
    sim.resolve(absent, "ok", "PRIMARY")  # the client claims it settled, but it is nowhere
    result = check(sim.history, sim.final, sim.seed)
    verdicts = {w.op_id: (w.verdict, w.found_in, w.client_resolution) for w in result.indeterminate}
    assert verdicts == {
        landed.op_id: ("landed", ("PRIMARY",), "ok in PRIMARY"),
        absent.op_id: ("absent", (), "ok in PRIMARY"),
        twice.op_id: ("duplicated", ("BOLT", "OLD"), None),
    }
    assert sorted(v.kind for v in result.violations) == ["duplicate_write", "resolution_mismatch"]
    assert "indeterminate writes: 1 absent, 1 duplicated, 1 landed" in result.summary()


def test_check_result_serialises() -> None:
    sim = clean_sim()
    sim.rows("BOLT").clear()
    result = check(sim.history, sim.final, sim.seed)
    assert type(result).model_validate_json(result.model_dump_json()) == result


# --- properties: random correct runs pass; one deliberate break is always found ---

down_sets = st.frozensets(st.sampled_from(SOURCES))
steps = st.lists(
    st.tuples(st.sampled_from(("create", "assign", "load", "pending")), down_sets, st.integers(0, 5), st.booleans()),
    min_size=1,
    max_size=25,
)


def run(script: list[tuple[str, frozenset[str], int, bool]]) -> Sim:
    sim = Sim()
    sim.seed_rows({"PRIMARY": 3, "BOLT": 2, "OLD": 2})
    for kind, down, index, flag in script:
        if kind == "create":
            sim.create(down=down)
        elif kind == "pending":
            sim.create(down=down, ambiguous=SOURCES[index % 3], commits=flag)
        elif kind == "assign":
            source = SOURCES[index % 3]
            sim.assign(source, index % len(sim.seed[source][TABLE]), down=down)
        else:
            sim.load(down=down)
    return sim


@settings(max_examples=150, deadline=None)
@given(steps)
def test_correct_runs_pass(script: list[tuple[str, frozenset[str], int, bool]]) -> None:
    sim = run(script)
    result = check(History.from_json(sim.history.to_json()), sim.final, sim.seed)
    assert result.valid, result.render()


@settings(max_examples=150, deadline=None)
@given(steps, st.data())
def test_a_lost_acknowledged_write_is_always_found(
    script: list[tuple[str, frozenset[str], int, bool]], data: st.DataObject
) -> None:
    sim = run([*script, ("create", frozenset(), 0, True)])
    acked = [e for e in sim.history.completions(op="create") if e.type == "ok"]
    victim = data.draw(st.sampled_from(acked))
    source = victim.source
    assert source is not None
    sim.final[source][TABLE] = [r for r in sim.rows(source) if r["id"] != victim.row_id]
    result = check(sim.history, sim.final, sim.seed)
    assert [(v.kind, v.op_ids) for v in result.violations] == [("lost_write", (victim.op_id,))]


@settings(max_examples=150, deadline=None)
@given(steps, st.data())
def test_a_copied_write_is_always_found(
    script: list[tuple[str, frozenset[str], int, bool]], data: st.DataObject
) -> None:
    sim = run([*script, ("create", frozenset(), 0, True)])
    acked = [e for e in sim.history.completions(op="create") if e.type == "ok"]
    victim = data.draw(st.sampled_from(acked))
    elsewhere = data.draw(st.sampled_from([s for s in SOURCES if s != victim.source]))
    new_id = data.draw(st.sampled_from([victim.row_id, "fresh-id"]))
    sim.rows(elsewhere).append({"id": new_id, "email": op_marker(victim.op_id)})
    result = check(sim.history, sim.final, sim.seed)
    assert not result.passes("no_duplicates")
    assert victim.op_id in {op for v in result.violations for op in v.op_ids}


@settings(max_examples=150, deadline=None)
@given(steps, st.data())
def test_a_misrouted_assignment_is_always_found(
    script: list[tuple[str, frozenset[str], int, bool]], data: st.DataObject
) -> None:
    sim = run([*script, ("assign", frozenset(), 1, True)])
    assigns = [sim.history.operation(e.op_id).invoke for e in sim.history.completions(op="assign_mt5")]
    victim = data.draw(st.sampled_from(assigns))
    elsewhere = data.draw(st.sampled_from([s for s in SOURCES if s != victim.row_source]))
    target = data.draw(st.sampled_from(sim.rows(elsewhere)))
    target["mt5_login"] = victim.changes["mt5_login"]
    result = check(sim.history, sim.final, sim.seed)
    misrouted = result.of_kind("misrouted_update")
    assert [v.op_ids for v in misrouted] == [(victim.op_id,)] and misrouted[0].sources == (elsewhere,)


@settings(max_examples=100, deadline=None)
@given(steps, st.data())
def test_a_read_from_a_failed_source_is_always_found(
    script: list[tuple[str, frozenset[str], int, bool]], data: st.DataObject
) -> None:
    sim = run([*script, ("load", frozenset({"BOLT"}), 0, True)])
    loads = [e for e in sim.history.completions(op="load") if e.failed_sources()]
    victim = data.draw(st.sampled_from(loads))
    failed = data.draw(st.sampled_from(victim.failed_sources()))
    broken = victim.model_copy(update={"rows_by_source": {**victim.rows_by_source, failed: ("ghost",)}})
    history = History([broken if e.index == victim.index else e for e in sim.history.events])
    result = check(history, sim.final, sim.seed)
    assert [(v.kind, v.op_ids, v.sources) for v in result.violations] == [
        ("read_from_failed_source", (victim.op_id,), (failed,))
    ]


def test_load_without_rows_from_failed_source_passes() -> None:
    history = History()
    invoke = history.invoke(process=0, client="c", op="load", table=TABLE, time_s=0)
    history.complete(invoke, "fail", time_s=1, calls=tuple(SourceCall(source=s, kind="timeout") for s in SOURCES))
    assert check(history, {s: {TABLE: []} for s in SOURCES}).valid


def test_updating_a_duplicated_create_is_reported_once_as_a_duplicate() -> None:
    sim = Sim()
    created = sim.create()
    sim.rows("BOLT").append(dict(sim.rows("PRIMARY")[0]))  # the same row, also in BOLT
    sim.assign("PRIMARY", 0)
    kinds = [v.kind for v in check(sim.history, sim.final, sim.seed).violations]
    assert kinds == ["duplicate_row"], kinds
    assert created.row_id == sim.rows("BOLT")[0]["id"]


def test_large_histories_are_checked_quickly() -> None:
    import time

    sim = Sim()
    sim.seed_rows({"PRIMARY": 500, "BOLT": 300, "OLD": 200})
    for i in range(3000):
        sim.create(down=DOWN_PRIMARY if i % 3 else frozenset())
        sim.assign(SOURCES[i % 3], i % 200)
    started = time.perf_counter()
    result = check(sim.history, sim.final, sim.seed)
    assert result.valid and result.operations == 6000
    assert time.perf_counter() - started < 5
