"""PostgREST's per-request settings (GUCs): what SQL can read of the request, and what it sets to change the answer.

Read (set for the transaction, PostgREST's PreQuery.hs): `request.method`, `request.path`, `request.headers`
(a JSON object of every header but Cookie, names lower-cased), `request.cookies` (a JSON object), beside
`role` and `request.jwt.claims` (transaction.py); and `search_path`: the request's schema, then the
gateway's `db_extra_search_path` (PostgREST's `db-extra-search-path`), so that unqualified names in SQL
functions resolve as on PostgREST.

Written (read back in the same statement, PostgREST's `responseHeadersF`/`responseStatusF`):
`response.headers`, a JSON array of one-key objects (`[{"Set-Cookie": "a=1"}, {"Set-Cookie": "b=2"}]`),
whose headers replace the gateway's of the same name; `response.status`, a status code that replaces the
gateway's. Anything else there is PostgREST's 500 PGRST111 / PGRST112.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from . import errors
from .schema_cache import quote_ident

__all__ = ["READ_BACK", "RequestEnv", "apply"]

READ_BACK = (
    ", nullif(pg_catalog.current_setting('response.headers', true), '') AS pgrst_response_headers"
    ", nullif(pg_catalog.current_setting('response.status', true), '') AS pgrst_response_status"
)
"""The two last columns of every statement that yields rows (sql.py, embed_sql.py, write_sql.py, rpc_sql.py)."""

_STATUS = re.compile(r"\s*([0-9]+)")


@dataclass(frozen=True)
class RequestEnv:
    """The `request.*` settings of one request, as text for `set_config`."""

    method: str
    path: str
    headers: str
    cookies: str
    search_path: str
    timezone: str | None = None
    """`Prefer: timezone=`: the transaction's `timezone`, when one was asked for."""

    @classmethod
    def of(
        cls, request: Request, schema: str, extra_search_path: Sequence[str], timezone: str | None = None
    ) -> RequestEnv:
        """`path` as PostgREST sees it behind Supabase's gateway, which strips `/rest/v1`."""
        headers: dict[str, str] = {}
        cookie = ""
        for raw_name, raw_value in request.headers.raw:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            if name == "cookie":
                cookie = f"{cookie};{value}" if cookie else value
            else:
                headers[name] = value
        return cls(
            request.method,
            request.url.path.removeprefix("/rest/v1"),
            json.dumps(headers, separators=(",", ":")),
            json.dumps(parse_cookies(cookie), separators=(",", ":")),
            ", ".join(quote_ident(name) for name in (schema, *extra_search_path)),
            timezone,
        )


def parse_cookies(header: str) -> dict[str, str]:
    """`a=1; b=2` → {"a": "1", "b": "2"} (Web.Cookie's parseCookies: `;`-separated, spaces trimmed)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies.setdefault(name, value)
    return cookies


def _headers(text: str) -> list[tuple[str, str]]:
    try:
        items = json.loads(text)
    except ValueError:
        raise errors.guc_headers() from None
    pairs: list[tuple[str, str]] = []
    if not isinstance(items, list):
        raise errors.guc_headers()
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            raise errors.guc_headers()
        ((name, value),) = item.items()
        if not isinstance(value, str):
            raise errors.guc_headers()
        pairs.append((name, value))
    return pairs


def apply(response: Response, headers: str | None, status: str | None) -> Response:
    """`response` with what the statement's SQL set in `response.headers` / `response.status`."""
    if headers is None and status is None:
        return response
    if status is not None:
        found = _STATUS.match(status)
        if found is None or not 100 <= int(found[1]) <= 999:
            raise errors.guc_status()
        response.status_code = int(found[1])
    if headers is not None:
        pairs = _headers(headers)
        replaced = {name.lower().encode("latin-1") for name, _ in pairs}
        kept = [(k, v) for k, v in response.raw_headers if k.lower() not in replaced]
        added = [(name.lower().encode("latin-1"), value.encode("utf-8")) for name, value in pairs]
        response.raw_headers = kept + added
    return response
