"""Durations and rates as scenario files write them, and back.

Durations: `0s`, `500ms`, `2.5s`, `1m`, `1m30s`, or a plain number of seconds.
Rates: `50/s`, `3000/m` (per minute), or a plain number per second.

`format_duration` / `format_rate` write a value so that parsing it gives exactly the same
float (scenario files must round-trip through `dump_scenario`).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_RATE = re.compile(r"^(\d+(?:\.\d+)?)\s*/\s*(s|sec|m|min)$")
_RATE_PER = {"s": 1.0, "sec": 1.0, "m": 1 / 60, "min": 1 / 60}


def _plain_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def parse_duration(value: object) -> float:
    """Seconds from `500ms`, `2.5s`, `1m`, `1m30s` or a plain number. Raises ValueError."""
    number = _plain_number(value)
    if number is None:
        if not isinstance(value, str):
            raise ValueError(f"expected a duration like '500ms', '2.5s', '1m' or a number of seconds, got {value!r}")
        text = value.strip()
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"invalid duration {value!r} (write e.g. '0s', '500ms', '2.5s', '1m')")
        number = sum(float(n) * _UNIT_S[u] for n, u in parts)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"duration must be a finite number of seconds >= 0, got {value!r}")
    return number


def parse_rate(value: object) -> float:
    """Operations per second from `50/s`, `3000/m` or a plain number. Raises ValueError."""
    number = _plain_number(value)
    if number is None:
        match = _RATE.match(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"invalid rate {value!r} (write e.g. '50/s' or '3000/m')")
        number = float(match.group(1)) * _RATE_PER[match.group(2)]
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"rate must be > 0 per second, got {value!r}")
    return number


def _number(value: float) -> str:
    """The shortest exact decimal, never in exponent notation (`1e-05` is not a duration)."""
    value = float(value)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def format_duration(seconds: float) -> str:
    """`0.5` -> `500ms`, `2.5` -> `2.5s`, `60` -> `1m`; always parses back to `seconds` exactly."""
    if seconds >= 60 and (seconds / 60).is_integer() and parse_duration(f"{_number(seconds / 60)}m") == seconds:
        return f"{_number(seconds / 60)}m"
    if 0 < seconds < 1:
        ms = round(seconds * 1000, 6)
        text = f"{_number(ms)}ms"
        if parse_duration(text) == seconds:
            return text
    return f"{_number(seconds)}s"


def format_rate(per_second: float) -> str:
    return f"{_number(per_second)}/s"
