"""`PriorityDedup`'s fast core gives what the plain loop it replaced gave: same rows, order, duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fallback.client.merge import SOURCE_TAG, PriorityDedup, SourceRows, key_value, tag
from fallback.client.results import Duplicate


def loop_dedup(answers: Sequence[SourceRows], key: str) -> tuple[tuple[Any, ...], tuple[Duplicate, ...]]:
    """The implementation before the fast core, verbatim."""
    chosen: dict[str, dict[str, Any]] = {}
    dropped: dict[str, list[str]] = {}
    entries: list[str | dict[str, Any]] = []
    for answer in answers:
        for row in answer.rows:
            value = row.get(key)
            if value is None:
                entries.append(tag(row, answer.source))
                continue
            k = str(value)
            if k in chosen:
                dropped[k].append(answer.source)
                continue
            chosen[k] = tag(row, answer.source)
            dropped[k] = []
            entries.append(k)
    rows = tuple(chosen[e] if isinstance(e, str) else e for e in entries)
    duplicates = tuple(Duplicate(k, str(r[SOURCE_TAG]), tuple(dropped[k])) for k, r in chosen.items() if dropped[k])
    return rows, duplicates


ids = st.one_of(st.none(), st.integers(0, 6), st.sampled_from(["0", "1", "a", "b"]))
row = st.builds(lambda i, n, has: ({"id": i} if has else {}) | {"n": n}, ids, st.integers(0, 3), st.booleans())
answers = st.lists(st.tuples(st.sampled_from(["PRIMARY", "BOLT", "OLD", "X"]), st.lists(row, max_size=8)), max_size=4)


@settings(max_examples=400, deadline=None)
@given(answers)
def test_fast_dedup_equals_the_loop(raw: list[tuple[str, list[dict[str, Any]]]]) -> None:
    data = [SourceRows(source, rows) for source, rows in raw]
    merged = PriorityDedup("id")(data)
    rows, duplicates = loop_dedup(data, "id")
    assert merged.rows == rows
    assert [type(r) for r in merged.rows] == [dict] * len(rows)
    assert merged.duplicates == duplicates


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), unique=True, max_size=30), min_size=1, max_size=4))
def test_usual_case_across_sources_equals_the_loop(keys: list[list[int]]) -> None:
    """Keyed rows, each key once per source (the fast path), overlapping between sources."""
    data = [SourceRows(f"S{i}", [{"id": str(k), "i": i} for k in ks]) for i, ks in enumerate(keys)]
    merged = PriorityDedup("id")(data)
    assert (merged.rows, merged.duplicates) == loop_dedup(data, "id")


def test_input_rows_are_not_changed() -> None:
    rows = [{"id": "1"}, {"id": "1"}]
    PriorityDedup("id")([SourceRows("A", rows), SourceRows("B", [{"id": "1"}])])
    assert rows == [{"id": "1"}, {"id": "1"}]


def loop_dedup_composite(answers: Sequence[SourceRows], key: tuple[str, ...]) -> tuple[Any, ...]:
    """The loop again, keyed as `PriorityDedup` keys a composite key (`key_value`)."""
    chosen: dict[str, dict[str, Any]] = {}
    dropped: dict[str, list[str]] = {}
    entries: list[str | dict[str, Any]] = []
    for answer in answers:
        for row in answer.rows:
            k = key_value(row, key)
            if k is None:
                entries.append(tag(row, answer.source))
            elif k in chosen:
                dropped[k].append(answer.source)
            else:
                chosen[k], dropped[k] = tag(row, answer.source), []
                entries.append(k)
    rows = tuple(chosen[e] if isinstance(e, str) else e for e in entries)
    return rows, tuple(Duplicate(k, str(r[SOURCE_TAG]), tuple(dropped[k])) for k, r in chosen.items() if dropped[k])


part = st.one_of(st.none(), st.integers(0, 2), st.sampled_from(["0", "x"]))
composite_row = st.fixed_dictionaries({"tenant": part, "id": part, "n": st.integers(0, 2)})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.lists(composite_row, max_size=8)), max_size=4))
def test_fast_dedup_equals_the_loop_for_a_composite_key(raw: list[tuple[str, list[dict[str, Any]]]]) -> None:
    data = [SourceRows(source, rows) for source, rows in raw]
    merged = PriorityDedup(("tenant", "id"))(data)
    assert (merged.rows, merged.duplicates) == loop_dedup_composite(data, ("tenant", "id"))


def owned_copy(raw: Sequence[tuple[str, Sequence[dict[str, Any]]]]) -> list[SourceRows]:
    """The same answers as rows the caller owns: each a distinct dict, as freshly decoded."""
    return [SourceRows(source, [dict(r) for r in rows], owned=True) for source, rows in raw]


@settings(max_examples=400, deadline=None)
@given(answers)
def test_owned_rows_are_tagged_in_place_with_the_same_result(raw: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """Rows the caller owns: the same rows, order and duplicates as the loop, but no copies made."""
    owned = owned_copy(raw)
    inputs = {id(r) for a in owned for r in a.rows}
    merged = PriorityDedup("id")(owned)
    rows, duplicates = loop_dedup([SourceRows(s, r) for s, r in raw], "id")
    assert merged.rows == rows and merged.duplicates == duplicates
    assert all(id(r) in inputs for r in merged.rows)  # the rows themselves, tagged
    assert len({id(r) for r in merged.rows}) == len(merged.rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), unique=True, max_size=30), min_size=1, max_size=4))
def test_owned_usual_case_equals_the_loop(keys: list[list[int]]) -> None:
    raw = [(f"S{i}", [{"id": str(k), "i": i} for k in ks]) for i, ks in enumerate(keys)]
    merged = PriorityDedup("id")(owned_copy(raw))
    assert (merged.rows, merged.duplicates) == loop_dedup([SourceRows(s, r) for s, r in raw], "id")


def test_rows_not_owned_are_copied_even_when_others_are() -> None:
    """One answer not owned: nothing is tagged in place (the flag holds for a whole merge only)."""
    mine = [{"id": "1"}]
    theirs = [{"id": "2"}]
    merged = PriorityDedup("id")([SourceRows("A", mine, owned=True), SourceRows("B", theirs)])
    assert mine == [{"id": "1"}] and theirs == [{"id": "2"}]
    assert [r[SOURCE_TAG] for r in merged.rows] == ["A", "B"]


def test_dropped_sources_keep_the_answers_order_when_a_name_comes_twice() -> None:
    """Regression: the fast path sorted a key's dropped sources by each name's rank, the rank of a name
    given twice being its last answer: B then C came out as C, B (the loop appends in answer order)."""
    data = [
        SourceRows("A", [{"id": "k"}]),
        SourceRows("B", [{"id": "k"}]),
        SourceRows("C", [{"id": "k"}]),
        SourceRows("B", [{"id": "z"}]),
    ]
    merged = PriorityDedup("id")(data)
    assert merged.duplicates == (Duplicate("k", "A", ("B", "C")),)
    assert (merged.rows, merged.duplicates) == loop_dedup(data, "id")
