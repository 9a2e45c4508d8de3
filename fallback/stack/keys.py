"""Per-source JWT secrets and keys, minted like Supabase's.

Every source has its own secret, as real projects do: a key or user token of one project
is rejected by the others (shared/spec/outage-semantics.md, "Separate projects").
"""

from __future__ import annotations

import secrets
import time
import uuid

import jwt

ISSUER = "supabase-local"
TEN_YEARS_S = 10 * 365 * 24 * 3600


def new_jwt_secret() -> str:
    return secrets.token_urlsafe(40)


def api_key(secret: str, role: str, ref: str) -> str:
    """An `anon` or `service_role` key: a long-lived JWT carrying only the role."""
    now = int(time.time())
    claims = {"iss": ISSUER, "ref": ref, "role": role, "iat": now, "exp": now + TEN_YEARS_S}
    return jwt.encode(claims, secret, algorithm="HS256")


def user_token(secret: str, user_id: uuid.UUID | str, role: str = "authenticated", expires_in_s: int = 3600) -> str:
    """An access token for a signed-in user, as Supabase Auth would issue it."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "aud": "authenticated",
        "role": role,
        "iat": now,
        "exp": now + expires_in_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
