"""Bounds on what one request may hold, checked before the work they bound (pure).

MAX_HEADER_BYTES   request line + headers; beyond it 431 (`header_bytes`, and `protocol.py` for h11)
MAX_JSON_DEPTH     nesting of a JSON body; beyond it 400 PGRST102 (`json_deeper_than`)
MAX_LOGIC_DEPTH    nesting of an `or=`/`and=` tree; beyond it 400 PGRST100 (`query.parse_logic`)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_HEADER_BYTES = 50 * 1024
"""PostgREST's HTTP server (warp) caps the request line and headers at 50 KiB (`settingsMaxTotalHeaderLength`)."""
MAX_JSON_DEPTH = 512
"""Python's `json` recurses once per level and stops at the interpreter's recursion limit (1000 frames,
shared with the server's own call stack); 512 leaves room for both `json.loads` and `json.dumps`.
PostgREST's parser (aeson) sets no bound; PostgreSQL's own JSON parser stops at its stack depth limit."""
MAX_LOGIC_DEPTH = 64
"""How many `or(`/`and(` groups deep a logic tree may nest. PostgREST sets no bound of its own (its
parser and PostgreSQL's stack are the limits); this gateway builds the SQL recursively (`sql.condition`)
and answers 400 PGRST100 beyond this depth instead of exhausting Python's recursion limit."""

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


def json_deeper_than(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `raw` nest more than `limit` levels deep (outside strings).

    One pass without recursion, stopping at the first level beyond `limit`; a body with no more
    brackets than `limit` (the usual case) is answered by counting them. Malformed JSON gets some
    answer: the JSON parser rejects it afterwards anyway."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def header_bytes(target: bytes, headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The size of the request target and header fields, as sent (`name: value\\r\\n` each)."""
    return len(target) + sum(len(name) + len(value) + 4 for name, value in headers)
