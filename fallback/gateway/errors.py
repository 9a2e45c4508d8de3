"""Named errors, each mapped to PostgREST's status, code and body.

    GatewayError                 any error answered to the client
    ├── built by a named constructor below (PGRSTxxx, apikey errors)
    └── built by `from_postgres()` from a SQLSTATE (PostgREST's `pgErrorStatus`)

The body is PostgREST's `{"code","details","hint","message"}` (absent fields as null),
except the two apikey errors, which come from Supabase's API gateway in front of PostgREST.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

JSON_UTF8 = "application/json; charset=utf-8"
RETRY_NOW = {"Retry-After": "0"}
"""Every 503 carries it; PostgREST never updates the value (since v12.2.3)."""


@dataclass(frozen=True)
class GatewayError(Exception):
    status: int
    code: str | None
    message: str
    details: str | None = None
    hint: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    postgrest_shape: bool = True
    """False for the Supabase gateway's own apikey errors (a different body)."""

    def body(self) -> bytes:
        if not self.postgrest_shape:
            data: dict[str, str | None] = {"message": self.message}
            if self.hint is not None:
                data["hint"] = self.hint
            return json.dumps(data, separators=(",", ":")).encode()
        body = {"code": self.code, "details": self.details, "hint": self.hint, "message": self.message}
        return json.dumps(body, separators=(",", ":")).encode()

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.postgrest_shape and self.code is not None:
            headers["Proxy-Status"] = f"PostgREST; error={self.code}"
        if self.status == 503:
            headers.update(RETRY_NOW)
        return headers


def _bearer(error: str, description: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer error="{error}", error_description="{description}"'}


# --- outage (PostgREST AppState / pool) -----------------------------------------------------------
def connection_error(details: str) -> GatewayError:
    return GatewayError(503, "PGRST000", "Database connection error. Retrying the connection.", details)


def client_error(details: str) -> GatewayError:
    return GatewayError(503, "PGRST001", "Database client error. Retrying the connection.", details)


def schema_cache_missing() -> GatewayError:
    return GatewayError(503, "PGRST002", "Could not query the database for the schema cache. Retrying.")


def pool_timeout() -> GatewayError:
    return GatewayError(504, "PGRST003", "Timed out acquiring connection from connection pool.")


# --- request errors --------------------------------------------------------------------------------
def parse_error(message: str, details: str | None = None) -> GatewayError:
    return GatewayError(400, "PGRST100", message, details)


def aggregates_disabled() -> GatewayError:
    """PostgREST's PGRST123: an aggregate in `select=` while `db-aggregates-enabled` is off."""
    return GatewayError(400, "PGRST123", "Use of aggregate functions is not allowed")


def invalid_body(message: str = "Empty or invalid json") -> GatewayError:
    return GatewayError(400, "PGRST102", message)


def json_too_deep(limit: int) -> GatewayError:
    return GatewayError(
        400,
        "PGRST102",
        "JSON body nested too deeply",
        f"The body nests arrays and objects more than {limit} levels deep; this gateway accepts at most {limit}.",
    )


def header_fields_too_large(limit: int, size: int | None = None) -> GatewayError:
    """No PGRST code: PostgREST's HTTP server (warp) refuses such a request before PostgREST sees it."""
    sent = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    return GatewayError(
        431,
        None,
        "Request header fields too large",
        f"The request line and headers take {sent}; this gateway accepts at most {limit}.",
        "Send a shorter token, cookie or query string.",
    )


def range_not_satisfiable(details: str) -> GatewayError:
    return GatewayError(416, "PGRST103", "Requested range not satisfiable", details)


def invalid_schema(schema: str, exposed: list[str]) -> GatewayError:
    return GatewayError(
        406,
        "PGRST106",
        f"Invalid schema: {schema}",
        hint=f"Only the following schemas are exposed: {', '.join(exposed)}",
    )


def not_acceptable(accept: str) -> GatewayError:
    return GatewayError(406, "PGRST107", f"None of these media types are available: {accept}")


def unsupported_content_type(content_type: str) -> GatewayError:
    return GatewayError(415, "PGRST107", f"None of these media types are available: {content_type}")


def singular_cardinality(rows: int) -> GatewayError:
    return GatewayError(
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        f"The result contains {rows} rows",
    )


def unsupported_method(method: str) -> GatewayError:
    return GatewayError(405, "PGRST117", f"Unsupported HTTP method: {method}")


def unknown_payload_column(column: str, table: str) -> GatewayError:
    return GatewayError(400, "PGRST204", f"Could not find the '{column}' column of '{table}' in the schema cache")


def unknown_table(qualified: str, suggestion: str | None) -> GatewayError:
    hint = f"Perhaps you meant the table '{suggestion}'" if suggestion else None
    return GatewayError(404, "PGRST205", f"Could not find the table '{qualified}' in the schema cache", hint=hint)


def guc_headers() -> GatewayError:
    """`response.headers` set by the request's SQL is not a JSON array of one-key objects of strings."""
    message = "response.headers guc must be a JSON array composed of objects with a single key and a string value"
    return GatewayError(500, "PGRST111", message)


def guc_status() -> GatewayError:
    """`response.status` set by the request's SQL is not a status code."""
    return GatewayError(500, "PGRST112", "response.status guc must be a valid status code")


def undefined_column(table: str, column: str) -> GatewayError:
    """What PostgreSQL answers (42703) when PostgREST sends a select or filter on a missing column."""
    return GatewayError(400, "42703", f"column {table}.{column} does not exist")


# --- JWT (PostgREST v13+) and apikey (Supabase gateway) --------------------------------------------
def jwt_invalid(message: str) -> GatewayError:
    return GatewayError(401, "PGRST301", message, headers=_bearer("invalid_token", message))


def jwt_expired() -> GatewayError:
    return GatewayError(401, "PGRST303", "JWT expired", headers=_bearer("invalid_token", "JWT expired"))


def jwt_claims_invalid(message: str) -> GatewayError:
    return GatewayError(401, "PGRST303", message, headers=_bearer("invalid_token", message))


def missing_apikey() -> GatewayError:
    return GatewayError(
        401,
        None,
        "No API key found in request",
        headers={"WWW-Authenticate": 'Key realm="kong"'},
        postgrest_shape=False,
    )


def invalid_apikey() -> GatewayError:
    return GatewayError(
        401,
        None,
        "Invalid API key",
        hint="Double check your Supabase `anon` or `service_role` API key.",
        postgrest_shape=False,
    )


# --- SQLSTATE → status (PostgREST Error.hs `pgErrorStatus`) ----------------------------------------
_EXACT = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    "57P01": 503,
    "P0001": 400,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
}
_PREFIX = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    "F0": 500,
    "HV": 500,
    "P0": 500,
    "XX": 500,
}
CONNECTION_LOST_STATES = ("57P01", "57P02", "57P03")
"""Besides class 08: the server ended the session; the gateway must reconnect."""


def status_for_sqlstate(sqlstate: str, message: str, authed: bool) -> int:
    if sqlstate == "42501":
        return 403 if authed else 401
    if sqlstate == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate == "42883" and message.startswith("function xmlagg("):
        return 406
    if sqlstate in _EXACT:
        return _EXACT[sqlstate]
    if sqlstate.startswith("PT"):
        return int(sqlstate[2:]) if sqlstate[2:].isdigit() else 500
    return _PREFIX.get(sqlstate[:2], 400)


def from_postgres(sqlstate: str, message: str, details: str | None, hint: str | None, *, authed: bool) -> GatewayError:
    if sqlstate == "PGRST":
        return raised_pgrst(message, details)
    status = status_for_sqlstate(sqlstate, message, authed)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return GatewayError(status, sqlstate, message, details or None, hint or None, headers)


# --- RAISE SQLSTATE 'PGRST' (PostgREST's full response control, Error.hs `parseRaisePGRST`) ------------
_RAISE_UNPARSABLE = "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error"
_RAISE_MESSAGE_HINT = (
    "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'."
)
_RAISE_DETAIL_HINT = (
    "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'."
)


def _json_object(text: str) -> dict[str, object]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def raised_pgrst(message: str, detail: str | None) -> GatewayError:
    """MESSAGE is the body (`code`, `message`, optional `details`, `hint`), DETAIL the status and headers.

    PostgREST also sends DETAIL's optional `status_text` as the reason phrase; this gateway's HTTP server
    (uvicorn) always sends the standard phrase."""
    body = _json_object(message)
    code, text, details, hint = (body.get(key) for key in ("code", "message", "details", "hint"))
    if not (isinstance(code, str) and isinstance(text, str)) or not all(
        v is None or isinstance(v, str) for v in (details, hint)
    ):
        return GatewayError(
            500, "PGRST121", _RAISE_UNPARSABLE, f"Invalid JSON value for MESSAGE: '{message}'", _RAISE_MESSAGE_HINT
        )
    if detail is None:
        return GatewayError(
            500, "PGRST121", _RAISE_UNPARSABLE, "DETAIL is missing in the RAISE statement", _RAISE_DETAIL_HINT
        )
    control = _json_object(detail)
    status, headers = control.get("status"), control.get("headers")
    valid_headers = isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
    if type(status) is not int or not valid_headers:
        return GatewayError(
            500, "PGRST121", _RAISE_UNPARSABLE, f"Invalid JSON value for DETAIL: '{detail}'", _RAISE_DETAIL_HINT
        )
    assert isinstance(headers, dict)
    return GatewayError(
        status,
        code,
        text,
        details if isinstance(details, str) else None,
        hint if isinstance(hint, str) else None,
        {str(k): str(v) for k, v in headers.items()},
    )
