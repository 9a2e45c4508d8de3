"""The two control-file rules the edge layer plays inside the gateway rather than in front of it.

- `tokens_expire`: every user token (a valid JWT of this source whose role is `authenticated`) is refused as
  expired, with the gateway's own answer for an expired token (`errors.jwt_expired`: 401 `PGRST303` "JWT
  expired" and `WWW-Authenticate`, as PostgREST 13 answers; 12.2 said `PGRST301`). The anon and service_role
  keys are not user tokens: they keep working, as on Supabase when a session's access token runs out. A token
  that is not valid at all gets the gateway's usual answer (a bad signature is PGRST301 first, as PostgREST).
- `pool_exhausted`: the gateway's own pool held busy: `pool_size` tasks each take a slot and a connection
  through `Database.run` and keep them until the rule is off, so requests wait `pool_acquisition_timeout_s`
  (10 s, PostgREST's default) and get 504 `PGRST003` from the pool's real code path. While the database is
  unreachable there is nothing to hold (the requests get 503 as usual).
Both need our gateway's app (`app.state.gateway`); in front of another app (the Kong-like proxy) they do nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from .app import Gateway, error_response
from .errors import GatewayError, jwt_expired

USER_ROLE = "authenticated"
POLL_S = 0.05


def gateway_of(app: ASGIApp) -> Gateway | None:
    state = getattr(app, "state", None)
    found = getattr(state, "gateway", None)
    return found if isinstance(found, Gateway) else None


def holds_user_token(gateway: Gateway, scope: Scope) -> bool:
    """Whether the request carries a valid user token of this source (a Bearer JWT with role `authenticated`)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        return gateway.auth.principal(token.strip()).role == USER_ROLE
    except GatewayError:
        return False  # not valid at all: the gateway answers it as it would


async def answer_expired(scope: Scope, receive: Receive, send: Send) -> None:
    await error_response(jwt_expired(), head=scope["method"] == "HEAD")(scope, receive, send)


class PoolHold:
    """Every slot of the gateway's pool held while `on()` says so."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.task: asyncio.Task[None] | None = None
        self.taken = asyncio.Event()

    async def ensure(self, on: Callable[[], bool]) -> None:
        """Start holding (once per switch-on) and return when every slot is taken, or nothing more can be held;
        every request that comes meanwhile waits too, so none slips into a slot before the holders."""
        if self.task is None or self.task.done():
            self.taken = asyncio.Event()
            self.task = asyncio.create_task(self._hold(on, self.taken))
        waiter = asyncio.create_task(self.taken.wait())
        await asyncio.wait({self.task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()

    async def _hold(self, on: Callable[[], bool], taken: asyncio.Event) -> None:
        db = self.gateway.db
        size = self.gateway.config.pool_size
        settled = 0

        def one_more() -> None:
            nonlocal settled
            settled += 1
            if settled == size:
                taken.set()

        async def keep(_conn: object) -> None:
            one_more()
            while on():
                await asyncio.sleep(POLL_S)

        async def hold_one() -> None:
            try:
                await db.run(keep)
            except GatewayError:  # no slot or no connection to hold (the database is down): not held
                one_more()

        await asyncio.gather(*(hold_one() for _ in range(size)))
