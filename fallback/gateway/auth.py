"""Who is asking: the Supabase gateway's apikey check, then PostgREST's JWT check.

The apikey (header `apikey` or `?apikey=`) must be one of this source's keys. The JWT comes from
`Authorization: Bearer`, or, as Supabase's gateway forwards it, from the apikey itself.
HS256 with this source's secret; 30 s of clock skew allowed, as PostgREST allows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import jwt

from . import errors

CLOCK_SKEW_S = 30
_CACHE_LIMIT = 1024


@dataclass(frozen=True)
class Principal:
    role: str
    claims_json: str
    sub: str
    expires_at: float | None = None


def require_apikey(keys: frozenset[str], headers: Mapping[str, str], query_apikey: str | None) -> str:
    """Supabase's API-gateway check (Kong key-auth): the request's apikey must be one of this project's keys."""
    apikey = headers.get("apikey") or query_apikey
    if not apikey:
        raise errors.missing_apikey()
    if apikey not in keys:
        raise errors.invalid_apikey()
    return apikey


class Authenticator:
    def __init__(self, api_keys: list[str], jwt_secret: str, anon_role: str) -> None:
        self._keys = frozenset(api_keys)
        self._secret = jwt_secret
        self._anon_role = anon_role
        self._cache: dict[str, Principal] = {}

    def authenticate(self, headers: Mapping[str, str], query_apikey: str | None) -> Principal:
        apikey = require_apikey(self._keys, headers, query_apikey)
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise errors.jwt_invalid("Expected 'Bearer <token>' in the Authorization header")
            return self.principal(token.strip())
        if apikey.count(".") == 2:
            return self.principal(apikey)
        return Principal(self._anon_role, "{}", "")

    def principal(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None and (cached.expires_at is None or cached.expires_at + CLOCK_SKEW_S > time.time()):
            return cached
        claims = self._decode(token)
        role = claims.get("role", self._anon_role)
        if not isinstance(role, str) or not role:
            raise errors.jwt_claims_invalid("The JWT 'role' claim must be a non-empty string")
        sub = claims.get("sub")
        exp = claims.get("exp")
        found = Principal(
            role,
            json.dumps(claims, separators=(",", ":")),
            sub if isinstance(sub, str) else "",
            float(exp) if isinstance(exp, int | float) else None,
        )
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = found
        return found

    def _decode(self, token: str) -> dict[str, object]:
        parts = token.count(".") + 1
        if parts != 3:
            raise errors.jwt_invalid(f"Expected 3 parts in JWT; got {parts}")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                leeway=CLOCK_SKEW_S,
                options={"verify_aud": False, "require": []},
            )
        except jwt.ExpiredSignatureError:
            raise errors.jwt_expired() from None
        except jwt.ImmatureSignatureError:
            raise errors.jwt_claims_invalid("JWT not yet valid") from None
        except jwt.InvalidSignatureError:
            raise errors.jwt_invalid("JWT cryptographic operation failed") from None
        except jwt.InvalidAlgorithmError:
            raise errors.jwt_invalid("Wrong or unsupported encoding algorithm") from None
        except jwt.InvalidTokenError as exc:
            raise errors.jwt_invalid(f"JWT cryptographic operation failed: {exc}") from None
        if not isinstance(claims, dict):
            raise errors.jwt_invalid("The JWT payload is not a JSON object")
        return claims
