"""Names shared by every layer: the active project's sources, in priority order, and how an unknown name
is reported.

`source_names()` is the one spelling of the sources; the stack, the scenario model, the fault registry
and the clients' default order all call it when they need the names (never at import time: the CLI
activates the project, `--project DIR`, after the modules are imported).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["source_names", "unknown"]


def source_names() -> tuple[str, ...]:
    """The active project's sources, in priority order (the built-in example's: PRIMARY, BOLT, OLD)."""
    from fallback.project.active import active  # lazy: the project package's loader imports `unknown` from here

    return active().source_names


def unknown(what: str, value: object, known: Sequence[str]) -> str:
    """`unknown toxic 'lag' (known: down, latency, ...)`, with a suggestion for near misses."""
    message = f"unknown {what} {value!r} (known: {', '.join(known)})"
    close = difflib.get_close_matches(str(value), known, n=1)
    return f"{message}; did you mean {close[0]!r}?" if close else message
