"""Names shared by every layer: the sources, in priority order, and how an unknown name is reported.

`SOURCE_NAMES` is the one spelling of the local stack's sources; the stack, the scenario model, the
fault registry and the clients' default order all read it (a later issue makes it come from a project
file, so keep reading this constant rather than writing the names again).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["SOURCE_NAMES", "unknown"]

SOURCE_NAMES: tuple[str, ...] = ("PRIMARY", "BOLT", "OLD")
"""The local stack's sources, in priority order."""


def unknown(what: str, value: object, known: Sequence[str]) -> str:
    """`unknown toxic 'lag' (known: down, latency, ...)`, with a suggestion for near misses."""
    message = f"unknown {what} {value!r} (known: {', '.join(known)})"
    close = difflib.get_close_matches(str(value), known, n=1)
    return f"{message}; did you mean {close[0]!r}?" if close else message
