"""A PostgREST-compatible HTTP gateway (plus Supabase's apikey check) in front of PostgreSQL.

PostgREST's behaviour is the specification, above all during database outages
(see /work/shared/spec/outage-semantics.md). Run with `python -m fallback.gateway --config PATH`.
"""

from .app import create_app
from .config import GatewayConfig

__all__ = ["GatewayConfig", "create_app"]
