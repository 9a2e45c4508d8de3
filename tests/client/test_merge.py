"""Merge policies: exactly the union of the answering sources' rows, tagged, under the policy."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from fallback.client.merge import SOURCE_TAG, Concat, PreferNewest, PriorityDedup, SourceRows

SOURCES = ("PRIMARY", "BOLT", "OLD", "EXTRA")
ids = st.sampled_from([f"id-{n}" for n in range(12)])
rows = st.lists(st.fixed_dictionaries({"id": ids, "v": st.integers(0, 5)}), max_size=15)


@st.composite
def answers(draw: st.DrawFn) -> tuple[list[SourceRows], set[str]]:
    """Rows per source, and which sources failed (their rows must never appear)."""
    names = draw(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=4, unique=True))
    failed = draw(st.sets(st.sampled_from(names)))
    return [SourceRows(n, draw(rows)) for n in names if n not in failed], failed


@given(answers())
def test_concat_is_every_answering_row_tagged(case: tuple[list[SourceRows], set[str]]) -> None:
    answered, failed = case
    merged = Concat()(answered)
    assert len(merged.rows) == sum(len(a.rows) for a in answered)
    assert merged.duplicates == ()
    expected = [{**r, SOURCE_TAG: a.source} for a in answered for r in a.rows]
    assert list(merged.rows) == expected
    assert not {r[SOURCE_TAG] for r in merged.rows} & failed


@given(answers())
def test_dedup_keeps_the_highest_priority_copy_and_reports_the_rest(
    case: tuple[list[SourceRows], set[str]],
) -> None:
    answered, failed = case
    merged = PriorityDedup("id")(answered)
    first_holder: dict[str, str] = {}
    holders: dict[str, list[str]] = {}
    for answer in answered:
        for row in answer.rows:
            first_holder.setdefault(row["id"], answer.source)
            holders.setdefault(row["id"], []).append(answer.source)
    assert Counter(r["id"] for r in merged.rows) == Counter(set(first_holder))  # each id once
    for row in merged.rows:
        assert row[SOURCE_TAG] == first_holder[row["id"]]
        source_rows = next(a.rows for a in answered if a.source == row[SOURCE_TAG])
        assert {k: v for k, v in row.items() if k != SOURCE_TAG} in source_rows  # a real row of it
    reported = {d.key: d for d in merged.duplicates}
    assert set(reported) == {k for k, h in holders.items() if len(h) > 1}
    for key, duplicate in reported.items():
        assert duplicate.kept == holders[key][0]
        assert list(duplicate.dropped) == holders[key][1:]  # every other copy, none lost silently
    assert not {r[SOURCE_TAG] for r in merged.rows} & failed


def test_dedup_keeps_rows_without_a_key_in_order() -> None:
    merged = PriorityDedup("id")(
        [SourceRows("PRIMARY", [{"id": "a"}, {"x": 1}]), SourceRows("BOLT", [{"id": "a"}, {"id": None}])]
    )
    assert [r.get("id") for r in merged.rows] == ["a", None, None]
    assert [r[SOURCE_TAG] for r in merged.rows] == ["PRIMARY", "PRIMARY", "BOLT"]


@given(answers())
def test_prefer_newest_picks_the_greatest_field_priority_breaking_ties(
    case: tuple[list[SourceRows], set[str]],
) -> None:
    answered, _ = case
    merged = PreferNewest("id", "v")(answered)
    best: dict[str, tuple[int, str]] = {}
    for answer in answered:
        for row in answer.rows:
            if row["id"] not in best or str(row["v"]) > str(best[row["id"]][0]):
                best[row["id"]] = (row["v"], answer.source)
    assert {r["id"]: (r["v"], r[SOURCE_TAG]) for r in merged.rows} == best
    assert len(merged.rows) == len(best)


def test_merge_of_nothing_is_empty() -> None:
    assert Concat()([]).rows == ()
    assert PriorityDedup()([]).rows == ()


@given(answers())
def test_concat_of_owned_rows_tags_them_in_place(case: tuple[list[SourceRows], set[str]]) -> None:
    answered, _ = case
    owned = [SourceRows(a.source, [dict(r) for r in a.rows], owned=True) for a in answered]
    merged = Concat()(owned)
    assert merged.rows == Concat()(answered).rows
    assert [id(r) for r in merged.rows] == [id(r) for a in owned for r in a.rows]
