"""The auth applier: `jwt_rotated` on a source (`BOLT`): its JWT secret changes for the window.

Supabase signs a project's `anon` and `service_role` keys and its users' tokens with the project's JWT
secret; when the secret changes, every key and token a client holds fails PostgREST's signature check:
401 `PGRST301` ("JWT cryptographic operation failed"). Here the new secret is noted in the state dir
(`fallback.stack.restart.rotate_jwt_secret`) and the source's gateway is restarted with
`restart_process`, which starts it with the noted secret; clearing forgets the note and restarts the
gateway again, with the stack's own secret. The stack's state keeps the original keys (the ones the
clients hold), and the gateway's apikey list too: the request passes the gateway's key check and
fails the JWT check, as the issue names it (401 PGRST301, not Kong's "Invalid API key").

The note is the fault's only state, so any command can undo it (`fault all clear`, `stack down`), and a
gateway killed during the window comes back rotated. Only our gateway (`FALLBACK_GATEWAY=ours`): with a
real PostgREST the secret sits in its environment, which a restart of its Kong-like proxy does not touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fallback.faults._registry import Controls, FaultConflict, FaultError, UnknownTarget
from fallback.names import unknown
from fallback.stack import gateway_process, keys
from fallback.stack.errors import StackError
from fallback.stack.restart import restart_process, rotate_jwt_secret, rotated_jwt_secret
from fallback.stack.state import ProcessKind, StackKind, StackState

if TYPE_CHECKING:
    from fallback.faults._fault import Fault


def _stack(controls: Controls) -> StackState:
    if controls.stack is None or controls.stack.kind is not StackKind.embedded:
        raise FaultError("auth faults restart an embedded stack's gateway: this stack has none of ours")
    return controls.stack.latest()


@dataclass(frozen=True)
class RotateJwtSecret:
    """`jwt_rotated`: the source's gateway verifies JWTs with a fresh secret until cleared."""

    family = "auth"

    def envelope_error(self, kind: str, field: str) -> str | None:
        return f"`{kind}` changes a source's JWT secret, not a stream of data: `{field}` does not apply"

    def apply(self, fault: Fault, controls: Controls) -> None:
        source = self._known(fault.target, controls)
        state = _stack(controls)
        if gateway_process.use_real_postgrest():
            raise FaultError("jwt_rotated restarts our gateway: with FALLBACK_GATEWAY=postgrest it is not played")
        if rotated_jwt_secret(state, source) is not None:
            raise FaultConflict(f"{source}'s JWT secret is rotated already")
        rotate_jwt_secret(state, source, keys.new_jwt_secret())
        self._restart(state, source, controls)

    def clear(self, fault: Fault, controls: Controls) -> None:
        self.clear_target(fault.target, controls)

    def known_targets(self, controls: Controls) -> tuple[str, ...]:
        if controls.stack is None or controls.stack.kind is not StackKind.embedded:
            return ()
        return tuple(source.name for source in controls.stack.sources)

    def clear_target(self, target: str, controls: Controls) -> None:
        """Restore the stack's own secret (a restart of the gateway) when a rotation is on; else nothing."""
        source = self._known(target, controls)
        state = _stack(controls)
        if rotated_jwt_secret(state, source) is None:
            return
        rotate_jwt_secret(state, source, None)
        self._restart(state, source, controls)

    def reset(self, controls: Controls) -> None:
        for target in self.known_targets(controls):
            self.clear_target(target, controls)

    def _known(self, target: str, controls: Controls) -> str:
        known = self.known_targets(controls)
        if target not in known:
            raise UnknownTarget(unknown("target", target, known))
        return target

    @staticmethod
    def _restart(state: StackState, source: str, controls: Controls) -> None:
        """Restart the gateway, its outage open meanwhile (the run's process watch excuses it)."""
        key = (ProcessKind.gateway, source)
        with controls.outages.restarting:  # one restart at a time (a process fault may restart it too)
            controls.outages.begin(key)
            try:
                restart_process(state, ProcessKind.gateway, source)
            except StackError as exc:
                raise FaultError(f"{source}'s gateway did not come back: {exc}") from exc
            finally:
                controls.outages.end(key)
