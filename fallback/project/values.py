"""One value generator per column type, each with two faces: `draw(rng)` and `strategy()`.

`draw` takes a seeded `random.Random` and is what `generate_rows` uses: plain, deterministic for a
given seed on every Python and Hypothesis version, and fast (a few microseconds a value). `strategy`
is the Hypothesis strategy for the same set of values, for property tests and `explore`, where
shrinking matters more than speed. Both faces sit side by side in one small class per type, so they
cannot drift apart. Values are JSON-ready (what PostgREST and `json_populate_recordset` take): uuids,
numerics, dates and times as strings, json(b) as nested objects, bytea as `\\x` hex text.
"""

from __future__ import annotations

import functools
import random
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar

from hypothesis import strategies as st

from fallback.project.checks import Bounds, parse_checks
from fallback.project.schema import Column

__all__ = ["JsonValue", "ValueGen", "between", "pick", "value_gen"]

_T = TypeVar("_T")

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

_ALPHABET = string.ascii_letters + string.digits + " -_.éüß"
_SAFE_TEXT = st.characters(min_codepoint=1, codec="utf-8")
"""Any character PostgreSQL's UTF8 text holds: no NUL, no lone surrogate."""
_POOL_SIZE = 1 << 18
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SPAN_S = 36 * 365 * 86400
_INT_RANGES = {"int2": (-(2**15), 2**15 - 1), "int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}
_TEXT_TYPES = ("text", "varchar", "bpchar", "citext", "name")


def between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]: `random()` scaled when the span fits a float exactly (several times faster
    than `randint`), `randrange` otherwise (int8 ranges)."""
    span = high - low + 1
    return low + int(rng.random() * span) if span < 2**52 else rng.randrange(low, high + 1)


def pick(rng: random.Random, values: Sequence[_T]) -> _T:
    return values[int(rng.random() * len(values))]


@functools.cache
def _pool() -> str:
    """256 Ki characters of the alphabet, the same on every run: a text is a slice of it at a drawn offset,
    one draw instead of one per character (5 to 10 times faster; texts still differ in offset and length)."""
    return "".join(random.Random(0).choices(_ALPHABET, k=_POOL_SIZE))


def _slice(rng: random.Random, size: int) -> str:
    if size > _POOL_SIZE // 2:
        return "".join(rng.choices(_ALPHABET, k=size))
    start = between(rng, 0, _POOL_SIZE - size)
    return _pool()[start : start + size]


class ValueGen(Protocol):
    def draw(self, rng: random.Random) -> JsonValue: ...

    def strategy(self) -> st.SearchStrategy[JsonValue]: ...


@dataclass(frozen=True)
class Choice:
    values: tuple[JsonValue, ...]

    def draw(self, rng: random.Random) -> JsonValue:
        return pick(rng, self.values)

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.sampled_from(self.values)


@dataclass(frozen=True)
class Uuid:
    def draw(self, rng: random.Random) -> JsonValue:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.uuids(version=4).map(str)


@dataclass(frozen=True)
class Text:
    min_length: int
    max_length: int
    fixed: bool = False
    """char(n): exactly n characters, none of them a trailing space (PostgreSQL would pad and trim it)."""

    def draw(self, rng: random.Random) -> JsonValue:
        size = self.max_length if self.fixed else between(rng, self.min_length, self.max_length)
        text = _slice(rng, size)
        return text[:-1] + "x" if self.fixed and text.endswith(" ") else text

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        low = self.max_length if self.fixed else self.min_length
        text = st.text(_SAFE_TEXT, min_size=low, max_size=self.max_length)
        return text.filter(lambda t: not t.endswith(" ")) if self.fixed else text


@dataclass(frozen=True)
class Integer:
    low: int
    high: int

    def draw(self, rng: random.Random) -> JsonValue:
        small_low, small_high = max(self.low, 0), min(self.high, 10_000)
        if small_low <= small_high and rng.random() < 0.8:
            return between(rng, small_low, small_high)
        return between(rng, self.low, self.high)

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.integers(self.low, self.high)


@dataclass(frozen=True)
class Numeric:
    """numeric(p, s) as text (exact): integers of units 10^-s between the bounds."""

    low_units: int
    high_units: int
    scale: int

    def _text(self, units: int) -> str:
        if not self.scale:
            return str(units)
        whole, part = divmod(abs(units), 10**self.scale)
        return f"{'-' if units < 0 else ''}{whole}.{part:0{self.scale}d}"

    def draw(self, rng: random.Random) -> JsonValue:
        small_high = min(self.high_units, max(self.low_units, 0) + 100_000 * 10**self.scale)
        if max(self.low_units, 0) <= small_high and rng.random() < 0.8:
            return self._text(between(rng, max(self.low_units, 0), small_high))
        return self._text(between(rng, self.low_units, self.high_units))

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.integers(self.low_units, self.high_units).map(self._text)


@dataclass(frozen=True)
class Float:
    low: float
    high: float

    def draw(self, rng: random.Random) -> JsonValue:
        return round(rng.uniform(self.low, self.high), 3)

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return (
            st.floats(self.low, self.high, allow_nan=False, allow_infinity=False, width=32)
            .map(lambda f: round(f, 3))
            .filter(lambda f: self.low <= f <= self.high)
        )


@dataclass(frozen=True)
class Boolean:
    def draw(self, rng: random.Random) -> JsonValue:
        return rng.random() < 0.5

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.booleans()


@dataclass(frozen=True)
class Moment:
    """date, timestamp(tz), time(tz) and interval between 2000 and 2035, to the second."""

    kind: str

    def _format(self, seconds: int) -> str:
        moment = _EPOCH + timedelta(seconds=seconds)
        if self.kind == "date":
            return moment.date().isoformat()
        if self.kind == "timestamp":
            return moment.replace(tzinfo=None).isoformat()
        if self.kind == "timestamptz":
            return moment.isoformat()
        if self.kind == "interval":
            return f"{seconds % 10_000_000} seconds"
        clock = moment.time().isoformat()
        return clock + "+00" if self.kind == "timetz" else clock

    def draw(self, rng: random.Random) -> JsonValue:
        return self._format(between(rng, 0, _SPAN_S - 1))

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.integers(0, _SPAN_S - 1).map(self._format)


_JSON_KEYS = st.text(string.ascii_lowercase, min_size=1, max_size=8)
_JSON_LEAF = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(_ALPHABET, max_size=12)


@dataclass(frozen=True)
class Json:
    """Small objects: up to three keys, scalar values."""

    def draw(self, rng: random.Random) -> JsonValue:
        return {f"k{i}": self._leaf(rng) for i in range(between(rng, 0, 3))}

    @staticmethod
    def _leaf(rng: random.Random) -> JsonValue:
        kind = between(rng, 0, 3)
        if kind == 0:
            return None if rng.random() < 0.5 else rng.random() < 0.5
        if kind == 1:
            return between(rng, -1000, 1000)
        return _slice(rng, between(rng, 0, 8))

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.dictionaries(_JSON_KEYS, _JSON_LEAF, max_size=3)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Bytes:
    def draw(self, rng: random.Random) -> JsonValue:
        return "\\x" + rng.randbytes(between(rng, 0, 16)).hex()

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.binary(max_size=16).map(lambda b: "\\x" + b.hex())


@dataclass(frozen=True)
class Inet:
    cidr: bool = False

    def _format(self, a: int, b: int, c: int) -> str:
        return f"10.{a}.{b}.0/24" if self.cidr else f"10.{a}.{b}.{c}"

    def draw(self, rng: random.Random) -> JsonValue:
        return self._format(between(rng, 0, 255), between(rng, 0, 255), between(rng, 1, 254))

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        octet = st.integers(0, 255)
        return st.builds(self._format, octet, octet, st.integers(1, 254))


@dataclass(frozen=True)
class Array:
    element: ValueGen
    max_size: int = 3

    def draw(self, rng: random.Random) -> JsonValue:
        return [self.element.draw(rng) for _ in range(between(rng, 0, self.max_size))]

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return st.lists(self.element.strategy(), max_size=self.max_size)  # type: ignore[return-value]


@dataclass(frozen=True)
class Excluding:
    """Redraws values a `col <> v` CHECK excludes."""

    inner: ValueGen
    excluded: tuple[str, ...]

    def draw(self, rng: random.Random) -> JsonValue:
        for _ in range(100):
            value = self.inner.draw(rng)
            if str(value) not in self.excluded:
                return value
        raise ValueError(f"every value drawn is excluded by a CHECK ({', '.join(self.excluded)})")

    def strategy(self) -> st.SearchStrategy[JsonValue]:
        return self.inner.strategy().filter(lambda v: str(v) not in self.excluded)


def _number_range(bounds: Bounds, low: Decimal, high: Decimal, step: Decimal) -> tuple[Decimal, Decimal]:
    if bounds.low is not None:
        low = max(low, bounds.low + (step if bounds.low_open else 0))
    if bounds.high is not None:
        high = min(high, bounds.high - (step if bounds.high_open else 0))
    return low, high


def _scalar(column: Column, bounds: Bounds) -> ValueGen | None:
    base = column.base_type
    if column.enum_values is not None:
        return Choice(column.enum_values)
    if bounds.choices is not None:
        if base in _INT_RANGES:
            return Choice(tuple(int(Decimal(c)) for c in bounds.choices))
        return Choice(bounds.choices)
    if base == "uuid":
        return Uuid()
    if base in _TEXT_TYPES:
        limit = column.max_length if column.max_length is not None else (1 if base == "bpchar" else None)
        high = min(x for x in (limit, bounds.max_length, max(bounds.min_length, 16)) if x is not None)
        return Text(min(bounds.min_length, high), high, fixed=base == "bpchar")
    if base in _INT_RANGES:
        smallest, largest = _INT_RANGES[base]
        lo, hi = _number_range(bounds, Decimal(smallest), Decimal(largest), Decimal(1))
        return Integer(int(lo.to_integral_value("ROUND_CEILING")), int(hi.to_integral_value("ROUND_FLOOR")))
    if base == "numeric":
        precision = column.numeric_precision or 12
        scale = column.numeric_scale if column.numeric_precision else 2
        unit = Decimal(1).scaleb(-(scale or 0))
        top = Decimal(10) ** (precision - (scale or 0)) - unit
        lo, hi = _number_range(bounds, -top, top, unit)
        return Numeric(
            int((lo / unit).to_integral_value("ROUND_CEILING")),
            int((hi / unit).to_integral_value("ROUND_FLOOR")),
            scale or 0,
        )
    if base in ("float4", "float8"):
        lo, hi = _number_range(bounds, Decimal(-1_000_000), Decimal(1_000_000), Decimal("0.001"))
        return Float(float(lo), float(hi))
    if base == "bool":
        return Boolean()
    if base in ("date", "timestamp", "timestamptz", "time", "timetz", "interval"):
        return Moment(base)
    if base in ("json", "jsonb"):
        return Json()
    if base == "bytea":
        return Bytes()
    if base in ("inet", "cidr"):
        return Inet(cidr=base == "cidr")
    return None


def value_gen(column: Column) -> ValueGen | None:
    """The generator for `column`'s values (CHECKs honoured where simple), or None for a type it does not know."""
    bounds = parse_checks(column.name, column.checks)
    scalar = _scalar(column, bounds)
    if scalar is None:
        return None
    if bounds.excluded:
        scalar = Excluding(scalar, bounds.excluded)
    return Array(scalar) if column.is_array else scalar
