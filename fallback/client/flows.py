"""The app flows the bundled clients implement through `call(name, args)`, and their arguments.

Only the spec's app has one: `assign_mt5` (its Test 3, "Assign Credentials Cross-Database"): set a
challenge's MT5 login, password and server in the challenge's own source. Its `args` are
`{"row": <a user_challenges row with _db_source>, "login": str, "password": str, "server": str}`
(and optionally `"table"`, default `user_challenges`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fallback.client.errors import RoutingError
from fallback.client.results import CallResult, Row, UpdateResult

__all__ = ["ASSIGN_MT5", "AssignMt5", "as_call", "unsupported"]

ASSIGN_MT5 = "assign_mt5"


@dataclass(frozen=True)
class AssignMt5:
    row: Row
    login: str
    password: str
    server: str
    table: str = "user_challenges"

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> AssignMt5:
        row = args.get("row")
        if not isinstance(row, Mapping):
            raise RoutingError("assign_mt5 needs args['row']: the challenge, with its _db_source")
        missing = [k for k in ("login", "password", "server") if not isinstance(args.get(k), str)]
        if missing:
            raise RoutingError(f"assign_mt5 needs string args {', '.join(missing)}")
        return cls(
            row, str(args["login"]), str(args["password"]), str(args["server"]), str(args.get("table") or cls.table)
        )

    def changes(self) -> dict[str, str]:
        return {"mt5_login": self.login, "mt5_password": self.password, "mt5_server": self.server}


def as_call(name: str, result: UpdateResult) -> CallResult:
    """A flow that was one routed update, reported as the call it was."""
    return CallResult(
        name,
        result.outcome,
        result.attempts,
        result.latency_ms,
        source=result.source,
        table=result.table,
        row_id=result.row_id,
        row=result.row,
    )


def unsupported(name: str, known: tuple[str, ...] = (ASSIGN_MT5,)) -> CallResult:
    """The answer to a call of a flow the client does not have: nothing was sent."""
    return CallResult(
        name, "fail", (), 0.0, value=f"unknown flow {name!r} (known: {', '.join(known)})", unsupported=True
    )
