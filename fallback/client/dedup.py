"""The fast core of `PriorityDedup`: one row per key, highest priority first, in a few C-level passes.

The straightforward loop (a dict look-up, a branch and a copy per row in Python bytecode) took
224-299 ms for 100,000 rows; this one does the same work with list comprehensions, `dict(zip())`,
`operator.itemgetter` and `itertools.compress`, and is kept equal to it (same rows, same order, same
`Duplicate`s) by a Hypothesis test against the plain loop (`tests/client/test_dedup.py`).

How: every row gets a key text (`None` -> a unique int, so unkeyed rows never match anything);
`dict(zip(reversed(keys), reversed(range(n))))` maps each key to its first position (later writes
win, and reversed, "later" is the first occurrence); a row is kept when it is its key's first
position. Only the dropped positions (the duplicates: few) are visited one by one, to report them.

Rows the caller owns (`owned=True`: each row a distinct dict that nobody else holds, as the reference
client's rows freshly decoded from one response) are tagged in place and returned, not copied: at
100,000 rows the copy alone (a new 12-key dict per row, about 65 MB of new memory) took 45-55 ms,
more than everything else together. Rows not owned are copied as before, so a caller's rows never
change and never come back aliased.

The cyclic garbage collector is paused while the rows are built: 100,000 new dicts set off several
collections that each walk every live object (more than half of the old loop's time). Nothing else
runs on this thread meanwhile (the merge is synchronous), and the collector is re-enabled, as it
was, before returning; only the garbage cycles made meanwhile wait for the next collection.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import compress, repeat
from operator import eq, itemgetter, ne, not_, or_, setitem
from typing import Any

from fallback.client.results import Duplicate, Row

__all__ = ["KeyTexts", "gc_paused", "priority_dedup", "single_column"]

KeyTexts = Callable[[Sequence[Row]], list[str | None]]
"""The key text of each row, None for a row that has no key (it is kept, matched with nothing)."""


def single_column(column: str) -> KeyTexts:
    """Key texts for a one-column key: `str(value)`, as the loop's `str(row.get(key))`."""

    def texts(rows: Sequence[Row]) -> list[str | None]:
        try:
            values: list[Any] = list(map(itemgetter(column), rows))  # a C loop; a missing key raises
        except KeyError:
            values = [row.get(column) for row in rows]
        kinds = set(map(type, values))
        if kinds <= {str}:  # str(v) is v: skip the call per row
            return values
        if type(None) in kinds:
            return [None if v is None else str(v) for v in values]
        return list(map(str, values))

    return texts


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection for the block (reference counting still frees everything at once)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def priority_dedup(
    answers: Sequence[tuple[str, Sequence[Row]]], key_texts: KeyTexts, tag: str, *, owned: bool = False
) -> tuple[tuple[Row, ...], tuple[Duplicate, ...]]:
    """(rows, duplicates) exactly as the loop in `PriorityDedup.__call__` gave them.

    `answers`: (source, rows) in priority order. Each kept row is a copy tagged `{tag: source}`; with
    `owned` (every row a distinct plain dict nobody else holds) the row itself, tagged in place.
    The usual case (every row keyed, no key twice within one source) goes source by source with set
    operations; anything else takes the general path (`_by_positions`).
    """
    with gc_paused():  # the temporaries die in `_dedup`, before a collection can walk them
        return _dedup(answers, key_texts, tag, owned)


def _dedup(
    answers: Sequence[tuple[str, Sequence[Row]]], key_texts: KeyTexts, tag: str, owned: bool
) -> tuple[tuple[Row, ...], tuple[Duplicate, ...]]:
    keyed = [(source, rows, key_texts(rows)) for source, rows in answers]
    uniques: list[set[str]] = []
    for _, _, keys in keyed:
        unique: set[Any] = set(keys)
        if None in unique or len(unique) != len(keys):
            return _by_positions(keyed, tag, owned)
        uniques.append(unique)
    out: list[Row] = []
    clashes: list[set[str]] = []
    for index, ((source, rows, keys), keyset) in enumerate(zip(keyed, uniques, strict=True)):
        # The keys also in an earlier answer: one intersection per earlier answer (each walks the smaller
        # set) rather than a union of all earlier keys, which would insert every key once more.
        clash: set[str] = set().union(*(keyset.intersection(earlier) for earlier in uniques[:index]))
        kept = compress(rows, map(not_, map(clash.__contains__, keys))) if clash else rows
        out += _tagged(kept, source, tag, owned)
        clashes.append(clash)
    if not any(clashes):
        return tuple(out), ()
    return tuple(out), _clash_report(keyed, uniques, clashes)


def _tagged(rows: Iterable[Row], source: str, tag: str, owned: bool) -> Iterable[Row]:
    """`{**row, tag: source}` for each row; for plain dicts as `row | {tag: source}` in a C loop (`map`),
    the same new dict without a bytecode step per row. Owned rows: `row[tag] = source` in place (also a
    C loop), the same content without the copy; they are plain dicts by `SourceRows.owned`'s contract
    (the client's come from `json.loads`), so no pass over their types either."""
    rows = rows if isinstance(rows, Sequence) else list(rows)
    if owned:
        deque(map(setitem, rows, repeat(tag), repeat(source)), maxlen=0)  # consumes the map: no list
        return rows
    if set(map(type, rows)) <= {dict}:
        return map(or_, rows, repeat({tag: source}))
    return ({**row, tag: source} for row in rows)


def _clash_report(
    keyed: list[tuple[str, Sequence[Row], list[str | None]]], uniques: list[set[str]], clashes: list[set[str]]
) -> tuple[Duplicate, ...]:
    """One `Duplicate` per key found in several sources, in the order of the key's first appearance."""
    dropped: dict[str, list[str]] = {}
    for (source, _, _), clash in zip(keyed, clashes, strict=True):
        for key in clash:
            dropped.setdefault(key, []).append(source)
    # Each key's kept copy lies in the first answer holding it; answers are visited in order and each is
    # scanned in order, so the keys come out in the order of their first appearance (no sort needed).
    # A key's dropped sources were gathered in answer order, as the loop appends them (one per answer:
    # no key twice in one); sorting them by name's rank would misorder a name given twice.
    report: list[Duplicate] = []
    remaining = set(dropped)
    for (source, _, keys), unique in zip(keyed, uniques, strict=True):
        here = remaining.intersection(unique)
        if not here:
            continue
        report += [
            Duplicate(str(key), source, tuple(dropped[str(key)]))
            for key in compress(keys, map(here.__contains__, keys))
        ]
        remaining -= here
    return tuple(report)


def _by_positions(
    keyed: list[tuple[str, Sequence[Row], list[str | None]]], tag: str, owned: bool
) -> tuple[tuple[Row, ...], tuple[Duplicate, ...]]:
    """The general case: unkeyed rows (kept, matched with nothing) or a key twice within one answer."""
    keys: list[Any] = []
    starts: list[int] = []
    sources: list[str] = []
    for source, _, texts in keyed:
        starts.append(len(keys))
        sources.append(source)
        keys += texts
    total = len(keys)
    if None in keys:  # unkeyed rows: a unique int each (key texts are str, so no clash)
        keys = [i if k is None else k for i, k in enumerate(keys)]
    first: dict[Any, int] = dict(zip(reversed(keys), range(total - 1, -1, -1), strict=True))
    positions: tuple[int, ...] = itemgetter(*keys)(first) if total > 1 else (first[keys[0]],)
    all_rows = [row for _, rows, _ in keyed for row in rows]
    row_sources = _sources_of(starts, sources, total)
    chosen = compress(zip(all_rows, row_sources, strict=True), map(eq, positions, range(total)))
    if owned:
        kept = tuple(_tag_in_place(row, tag, source) for row, source in chosen)
    else:
        kept = tuple({**row, tag: source} for row, source in chosen)
    return kept, _duplicates(keys, positions, total, starts, sources)


def _tag_in_place(row: Row, tag: str, source: str) -> Row:
    row[tag] = source  # type: ignore[index]  # an owned row is a plain dict (checked by the caller)
    return row


def _sources_of(starts: list[int], sources: list[str], total: int) -> list[str]:
    """The source of every position, from the answers' start positions."""
    out: list[str] = []
    ends = [*starts[1:], total]
    for start, end, source in zip(starts, ends, sources, strict=True):
        out += [source] * (end - start)
    return out


def _duplicates(
    keys: list[Any], positions: tuple[int, ...], total: int, starts: list[int], sources: list[str]
) -> tuple[Duplicate, ...]:
    """One `Duplicate` per key seen more than once, in the order of the key's first appearance;
    `dropped` lists the sources of the later copies in the order they came."""
    dropped: dict[int, list[str]] = {}
    for index in compress(range(total), map(ne, positions, range(total))):
        dropped.setdefault(positions[index], []).append(sources[bisect_right(starts, index) - 1])
    return tuple(
        Duplicate(str(keys[kept]), sources[bisect_right(starts, kept) - 1], tuple(dropped[kept]))
        for kept in sorted(dropped)
    )
