import pytest
from hypothesis import given
from hypothesis import strategies as st

from fallback.scenario.units import format_duration, format_rate, parse_duration, parse_rate


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0s", 0.0), ("500ms", 0.5), ("2.5s", 2.5), ("1m", 60.0), ("1m30s", 90.0), ("1h", 3600.0), (3, 3.0), (0.25, 0.25)],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "5", "5 s", "1x", "-1s", "s", "1.s", True, None, [1], -2, float("nan")])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(("text", "rate"), [("50/s", 50.0), ("3000/m", 50.0), ("120/min", 2.0), (7, 7.0)])
def test_parse_rate(text: object, rate: float) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("bad", ["fast", "50", "0/s", "-1/s", 0, "5/h", False])
def test_parse_rate_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_rate(bad)


def test_format_is_readable() -> None:
    assert [format_duration(s) for s in (0, 0.5, 2.5, 60, 90, 1e-5)] == ["0s", "500ms", "2.5s", "1m", "90s", "0.01ms"]
    assert format_rate(50.0) == "50/s"


@given(st.floats(0, 1e12, allow_nan=False))
def test_duration_round_trips(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.floats(1e-6, 1e9, allow_nan=False))
def test_rate_round_trips(rate: float) -> None:
    assert parse_rate(format_rate(rate)) == rate
