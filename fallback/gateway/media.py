"""Media types of the table API, as PostgREST 12.2 negotiates them (pure).

    Accept                                            → answer
    application/json, vnd.pgrst.array+json, */*       → a JSON array (`application/json`)
    application/vnd.pgrst.object+json                 → one JSON object, PGRST116 unless exactly one row
    ...;nulls=stripped (array or object)              → the same without null object fields (json_strip_nulls)
    text/csv                                          → a header line and one line per row, as PostgREST's asCsvF
    anything else                                     → 406 PGRST107

Requests may send `text/csv` bodies too (`csv_rows`). The output is built by PostgreSQL, like PostgREST:
`shape` rewrites the statement's aggregate of the rows (`json_agg(pgrst_t)`), so values print as their types do.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from typing import Literal

from . import errors
from .sql import Statement

__all__ = ["Media", "csv_rows", "negotiate", "shape"]

_ROWS = "coalesce(json_agg(pgrst_t), '[]')::text"
_CSV = (
    "coalesce((SELECT string_agg(pgrst_k, ',') FROM json_object_keys((array_agg(row_to_json(pgrst_t)))[1]) "
    "AS pgrst_h(pgrst_k)), '') || chr(10) || coalesce(string_agg(substring(pgrst_t::text, 2, "
    "length(pgrst_t::text) - 2), chr(10)), '')"
)
_ARRAY = ("application/json", "application/vnd.pgrst.array+json", "application/vnd.pgrst.array", "*/*")
_OBJECT = ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object")


@dataclass(frozen=True)
class Media:
    kind: Literal["json", "object", "csv"] = "json"
    strip_nulls: bool = False

    @property
    def singular(self) -> bool:
        return self.kind == "object"

    @property
    def content_type(self) -> str:
        if self.kind == "csv":
            return "text/csv; charset=utf-8"
        if self.kind == "object":
            base = "application/vnd.pgrst.object+json"
        else:
            base = "application/vnd.pgrst.array+json" if self.strip_nulls else "application/json"
        return f"{base};nulls=stripped; charset=utf-8" if self.strip_nulls else f"{base}; charset=utf-8"


def _weighted(accept: str) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an Accept header, highest `q` first (stable for equal weights)."""
    ranges: list[tuple[float, int, str, dict[str, str]]] = []
    for index, part in enumerate(accept.split(",")):
        name, *raw_params = (p.strip() for p in part.split(";"))
        params = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in raw_params if p)}
        try:
            weight = float(params.pop("q", "1"))
        except ValueError:
            weight = 1.0
        ranges.append((-weight, index, name.lower(), params))
    return [(name, params) for _, _, name, params in sorted(ranges)]


def negotiate(accept: str | None) -> Media:
    """The first media type of `accept` this gateway produces; 406 PGRST107 when there is none."""
    if not accept or not accept.strip():
        return Media()
    for name, params in _weighted(accept):
        strip = params.get("nulls") == "stripped"
        if name in _OBJECT:
            return Media("object", strip)
        if name in _ARRAY or name == "application/*":
            return Media("json", strip and name.startswith("application/vnd.pgrst.array"))
        if name in ("text/csv", "text/*"):
            return Media("csv")
    raise errors.not_acceptable(accept)


def shape(statement: Statement, media: Media) -> Statement:
    """The statement with its rows aggregated for `media` (a JSON array as built, or CSV, or nulls stripped)."""
    if media.kind == "csv":
        return replace(statement, sql=statement.sql.replace(_ROWS, _CSV, 1))
    if media.strip_nulls:
        stripped = "coalesce(json_agg(json_strip_nulls(row_to_json(pgrst_t))), '[]')::text"
        return replace(statement, sql=statement.sql.replace(_ROWS, stripped, 1))
    return statement


def csv_rows(raw: bytes) -> list[dict[str, object]]:
    """A `text/csv` body as PostgREST reads it: a header line, then rows; `NULL` is SQL NULL."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.invalid_body() from None
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        raise errors.invalid_body()
    header, body = lines[0], [line for line in lines[1:] if line]
    if any(len(line) != len(header) for line in body):
        raise errors.invalid_body("All lines must have same number of fields")
    return [{k: (None if v == "NULL" else v) for k, v in zip(header, line, strict=True)} for line in body]
