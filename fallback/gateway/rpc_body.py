"""A function call's request body, read as PostgREST 12.2 reads it (ApiRequest.hs `getPayload`).

application/json                   an object (its keys name the arguments), an array of objects with
                                   the same keys (the first one is used), anything else counts as `[]`;
                                   empty means `{}`; with `?columns=` the body is passed on unread
application/x-www-form-urlencoded  name=value pairs (a repeated VARIADIC name collects its values)
text/csv                           a header line and rows, as an array of objects (`NULL` is null)
text/plain, text/xml, application/octet-stream
                                   the whole body, for a single unnamed text / xml / bytea parameter
anything else                      400 PGRST102 "Content-Type not acceptable"
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from . import errors
from .limits import MAX_JSON_DEPTH, json_deeper_than
from .rpc_resolve import Content


@dataclass(frozen=True)
class Body:
    payload: str | bytes
    """JSON text for named arguments, or the raw body for a single unnamed parameter."""
    keys: frozenset[str]
    """The argument names the body sends (what picks the overload)."""
    pairs: tuple[tuple[str, str], ...] | None = None
    """A form's name=value pairs, turned into JSON once the function (its VARIADIC parameter) is known."""


def _json(raw: bytes) -> Body:
    if not raw.strip():
        return Body("{}", frozenset())
    if json_deeper_than(raw, MAX_JSON_DEPTH):
        raise errors.json_too_deep(MAX_JSON_DEPTH)
    try:
        text = raw.decode()
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_body() from None
    return _attributes(text, value)


def _attributes(text: str, value: object) -> Body:
    """PostgREST's `payloadAttributes`: the keys of an object, or of uniform objects in an array."""
    if isinstance(value, dict):
        return Body(text, frozenset(value))
    if not isinstance(value, list) or not value:
        return Body("[]", frozenset())
    first = value[0]
    if not isinstance(first, dict) or any(not isinstance(v, dict) or v.keys() != first.keys() for v in value):
        raise errors.invalid_body("All object keys must match")
    return Body(text, frozenset(first))


def _csv(raw: bytes) -> Body:
    try:
        rows = list(csv.reader(io.StringIO(raw.decode())))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise errors.invalid_body(str(exc)) from None
    if not rows:
        return Body("[]", frozenset())
    header, records = rows[0], rows[1:]
    if any(len(record) != len(header) for record in records):
        raise errors.invalid_body("All lines must have same number of fields")
    objects = [{k: (None if v == "NULL" else v) for k, v in zip(header, record, strict=True)} for record in records]
    return _attributes(json.dumps(objects, separators=(",", ":")), objects)


def read(raw: bytes, content: Content, content_type: str, columns: tuple[str, ...] | None) -> Body:
    if content == "json":
        if columns is not None:
            return Body(raw.decode(errors="replace") or "{}", frozenset(columns))
        return _json(raw)
    if content == "form":
        pairs = tuple(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
        return Body("{}", frozenset(k for k, _ in pairs), pairs)
    if content == "csv":
        return _csv(raw)
    if content == "bytea":
        return Body(raw, frozenset())
    if content in ("text", "xml"):
        return Body(raw.decode(errors="replace"), frozenset())
    raise errors.invalid_body(f"Content-Type not acceptable: {content_type}")
