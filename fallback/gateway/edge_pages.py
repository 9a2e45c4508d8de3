"""The error answers an edge in front of Supabase sends itself: Kong's and Cloudflare's, bodies and headers.

Kong 2.8.1 (Supabase's self-hosted gateway, `docker/docker-compose.yml`), read in Kong's repository at tag 2.8.1:
- `kong/error_handlers.lua`: the upstream failed (nginx `error_page`): 500 "An unexpected error occurred",
  502 "An invalid response was received from the upstream server", 503 "The upstream server is currently
  unavailable", 504 "The upstream server is timing out", any other "The upstream server responded with N".
  The format follows the request's `Accept`, else its `Content-Type`, else `error_default_type`
  (`kong/templates/kong_defaults.lua`: `text/plain`), through `utils.get_mime_type`: `*/*` and unknown types
  give JSON, `text/*` plain text, `text/html` HTML. The templates are `utils.get_error_template`'s
  (`kong/tools/utils.lua`): JSON `{\\n  "message":"..."\\n}`, plain `...\\n`, a small HTML page.
- `kong/plugins/rate-limiting/handler.lua`: 429 through `kong.response.error(429, "API rate limit exceeded",
  headers)` with `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `Retry-After`; that path
  (`kong/pdk/response.lua`) defaults to JSON when no `Accept` says otherwise.
- `Server: kong/2.8.1` (`headers = server_tokens, latency_tokens`), and `X-Kong-Response-Latency` on answers
  Kong made itself.
Cloudflare (developers.cloudflare.com, support/troubleshooting/http-status-codes/cloudflare-5xx-errors/):
- 520 "Web server is returning an unknown error", 521 "Web server is down", 522 "Connection timed out",
  523 "Origin is unreachable", 524 "A timeout occurred", its own 500/502/503/504 pages and 429 (error 1015,
  "You are being rate limited"): HTML pages (`text/html; charset=UTF-8`) naming the error code and the Ray ID,
  with `Server: cloudflare`, `CF-RAY: <16 hex digits>-<data centre>` and the no-cache headers those pages are
  served with. The page here is a short page with the same title, code and Ray ID, not Cloudflare's markup.
A 503 carries `Retry-After` here as the issue asks (an edge shedding load or in maintenance, RFC 9110 §10.2.3);
Kong's own 503 page has none. Kong never makes a 52x; `by: kong` with one gives Kong's generic message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .edge_control import RequestFate, StatusSource

STATUSES = (429, 500, 502, 503, 504, 520, 521, 522, 523, 524)
"""What `edge_status` can answer."""
RETRY_AFTER_STATUSES = (429, 503)
KONG_SERVER = "kong/2.8.1"
KONG_BODIES = {
    429: "API rate limit exceeded",
    500: "An unexpected error occurred",
    502: "An invalid response was received from the upstream server",
    503: "The upstream server is currently unavailable",
    504: "The upstream server is timing out",
}
CLOUDFLARE_TITLES = {
    429: "You are being rate limited",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway time-out",
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
}
CLOUDFLARE_HEADERS = (
    ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0"),
    ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Server", "cloudflare"),
)
FORWARDED = frozenset({502, 504, 520, 524})
"""Answers that come after the origin got the request (`request: auto`): an invalid or empty answer (502 as
Kong counts an upstream that closed mid-answer, 520), or none in time (504, 524). The others never reached it:
a rate limit (429), no upstream to connect to (502 as `auto` does not count it, 503, 521, 522, 523), 500."""
_KONG_JSON = '{\n  "message":"%s"\n}'
_KONG_HTML = (
    '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Kong Error</title>\n  </head>\n'
    "  <body>\n    <h1>Kong Error</h1>\n    <p>%s.</p>\n  </body>\n</html>\n"
)
_KONG_XML = '<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>%s</message>\n</error>\n'
_KONG_TYPES = ("text/html", "application/json", "text/plain", "application/xml")


@dataclass(frozen=True)
class Page:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def forwarded(status: int, fate: RequestFate) -> bool:
    """Whether the gateway runs the request before the edge answers `status`."""
    return status in FORWARDED if fate == "auto" else fate == "forwarded"


def source_of(status: int, by: StatusSource) -> StatusSource:
    """Who answers: only Cloudflare makes 52x; Kong the rest, unless `by` says."""
    if by != "auto":
        return by
    return "cloudflare" if status >= 520 else "kong"


@dataclass(frozen=True)
class Asked:
    """What of the request shapes the answer."""

    accept: str | None = None
    content_type: str | None = None
    host: str = "api"


def page(status: int, by: StatusSource, asked: Asked, retry_after: int) -> Page:
    """The edge's answer `status` to a request `asked` so."""
    extra = (("Retry-After", str(retry_after)),) if status in RETRY_AFTER_STATUSES else ()
    if source_of(status, by) == "cloudflare":
        return _cloudflare(status, asked.host, extra)
    accept, content_type = asked.accept, asked.content_type
    return _kong(status, accept, content_type, extra, retry_after)


def kong_mime(header: str | None, default: str) -> str:
    """Kong's `utils.get_mime_type`: the type before `;`; `*/*` and unknown types JSON, `text/*` plain text."""
    if header is None:
        header = default
    value = header.strip().split(";")[0].strip()
    major, slash, minor = value.partition("/")
    if not slash:
        return "application/json"
    if minor == "*":
        return {"text": "text/plain", "application": "application/json"}.get(major, "application/json")
    return value if value in _KONG_TYPES else "application/json"


def _kong(
    status: int, accept: str | None, content_type: str | None, extra: tuple[tuple[str, str], ...], retry: int
) -> Page:
    message = KONG_BODIES.get(status, f"The upstream server responded with {status}")
    if status == 429:  # the rate-limiting plugin: `kong.response.error`, JSON unless Accept says otherwise
        mime = kong_mime(accept, "application/json")
        extra = (("RateLimit-Limit", "100"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", str(retry)), *extra)
    else:  # error_handlers.lua: Accept, else Content-Type, else error_default_type (text/plain)
        mime = kong_mime(accept if accept is not None else content_type, "text/plain")
    template = {"application/json": _KONG_JSON, "text/html": _KONG_HTML, "application/xml": _KONG_XML}.get(mime, "%s\n")
    headers = (
        ("Content-Type", f"{mime}; charset=utf-8"),
        ("Server", KONG_SERVER),
        ("X-Kong-Response-Latency", "0"),
        *extra,
    )
    return Page(status, headers, (template % message).encode())


def _cloudflare(status: int, host: str, extra: tuple[tuple[str, str], ...]) -> Page:
    title = CLOUDFLARE_TITLES.get(status, f"Error {status}")
    code = "1015" if status == 429 else str(status)
    ray = f"{secrets.token_hex(8)}-AMS"
    body = (
        f'<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<title>{host} | '
        f"{status}: {title}</title>\n"
        '<meta charset="UTF-8" />\n<meta name="robots" content="noindex, nofollow" />\n</head>\n<body>\n'
        f'<div id="cf-wrapper"><div id="cf-error-details">\n<h1><span>{title}</span> '
        f'<span class="code-label">Error code {code}</span></h1>\n'
        f'<p>Cloudflare Ray ID: <strong class="font-semibold">{ray.split("-")[0]}</strong></p>\n'
        "</div></div>\n</body>\n</html>\n"
    )
    headers = (("Content-Type", "text/html; charset=UTF-8"), *CLOUDFLARE_HEADERS, ("CF-RAY", ray), *extra)
    return Page(status, headers, body.encode())
