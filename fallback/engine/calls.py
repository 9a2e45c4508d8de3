"""A call step's arguments and what the history records of them.

`args` of a step may hold two placeholders: `{op}` anywhere in a string becomes the operation's
token (`op-<id>`), and a whole string `"{row.<column>}"` becomes the picked row's value (typed as the
row has it). The call gets them plus `table` and `row` (the picked row, with `_db_source`). The
history records, as the call's `changes`, the arguments carrying the token (by argument name);
for the spec's `assign_mt5` (the alias `op: assign_mt5`), the columns it writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fallback.history import carries_token, op_token
from fallback.scenario import Step

__all__ = ["ASSIGN_MT5_ARGS", "ASSIGN_MT5_WRITES", "call_args", "call_changes"]

ASSIGN_MT5_ARGS: Mapping[str, str] = {"login": "{op}", "password": "harness-secret", "server": "MT5-Live"}
"""`call: assign_mt5` (and its alias `op: assign_mt5`): the spec's credentials, the login carrying the
token; a step's `args` override them."""
ASSIGN_MT5_WRITES: Mapping[str, str] = {"mt5_login": "login", "mt5_server": "server"}
"""Column <- argument: what the spec's flow writes into the row, recorded as the call's changes (the
password is never written into the history)."""


def call_args(step: Step, op_id: int, row: Mapping[str, Any] | None) -> dict[str, Any]:
    given = {**ASSIGN_MT5_ARGS, **step.args} if step.flow == "assign_mt5" else dict(step.args)
    args: dict[str, Any] = {k: _filled(v, op_id, row) for k, v in given.items()}
    args["table"] = step.table
    if row is not None:
        args["row"] = row
    return args


def call_changes(step: Step, args: Mapping[str, Any], op_id: int) -> dict[str, Any]:
    if step.flow == "assign_mt5":
        return {column: args[arg] for column, arg in ASSIGN_MT5_WRITES.items() if arg in args}
    return {k: v for k, v in args.items() if carries_token(v, op_id)}


def _filled(value: Any, op_id: int, row: Mapping[str, Any] | None) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith("{row.") and value.endswith("}") and row is not None:
        return row.get(value[5:-1])
    return value.replace("{op}", op_token(op_id))
