"""Pure parts of the preferences work: Prefer parsing, Content-Range, media negotiation, CSV bodies, test ports."""

from __future__ import annotations

import pytest

from fallback.gateway import errors, media, responses
from fallback.gateway.prefer import parse_prefer


def test_prefer_first_valid_value_wins_and_unknown_ones_are_kept_for_strict() -> None:
    prefer = parse_prefer(["return=minimal, return=representation, foo", "count=exact, max-affected=5, bar=1"])
    assert (prefer.return_, prefer.count, prefer.max_affected, prefer.invalid) == (
        "minimal",
        "exact",
        5,
        ("foo", "bar=1"),
    )
    prefer.check_strict()  # lenient by default
    with pytest.raises(errors.GatewayError) as raised:
        parse_prefer(["handling=strict, foo, bar"]).check_strict()
    assert (raised.value.code, raised.value.details) == ("PGRST122", "Invalid preferences: foo, bar")


def test_tx_needs_the_override_and_applied_follows_postgrests_order() -> None:
    assert parse_prefer(["tx=rollback"]).tx is None
    prefer = parse_prefer(
        ["handling=strict, tx=rollback, count=exact, return=representation, max-affected=2"], tx_override=True
    )
    assert prefer.applied(return_=True, count=True, max_affected=True) == (
        "return=representation, count=exact, tx=rollback, handling=strict, max-affected=2"
    )


def test_content_range_as_postgrest_computes_it() -> None:
    assert responses.content_range(1, 0, None) == "*/*"
    assert responses.content_range(1, 0, 3) == "*/3"
    assert responses.content_range(0, 1, 2) == "0-1/2"
    assert responses.content_range(0, -1, 0) == "*/0"


@pytest.mark.parametrize(
    ("accept", "kind", "strip"),
    [
        (None, "json", False),
        ("text/unknowntype, */*", "json", False),
        ("text/csv, application/json", "csv", False),
        ("application/json;q=0.5, text/csv;q=0.9", "csv", False),
        ("application/vnd.pgrst.object+json;nulls=stripped", "object", True),
        ("application/vnd.pgrst.array;nulls=stripped", "json", True),
    ],
)
def test_negotiate(accept: str | None, kind: str, strip: bool) -> None:
    chosen = media.negotiate(accept)
    assert (chosen.kind, chosen.strip_nulls) == (kind, strip)


def test_negotiate_refuses_what_it_cannot_produce() -> None:
    with pytest.raises(errors.GatewayError) as raised:
        media.negotiate("text/unknowntype")
    assert (raised.value.status, raised.value.code) == (406, "PGRST107")


def test_csv_rows() -> None:
    assert media.csv_rows(b'a,b\nNULL,"x,y"\n') == [{"a": None, "b": "x,y"}]
    with pytest.raises(errors.GatewayError) as raised:
        media.csv_rows(b"a,b\nfoo,bar\nbaz")
    assert raised.value.message == "All lines must have same number of fields"
