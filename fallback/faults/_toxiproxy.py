"""The Toxiproxy appliers: `down` disables a proxy, every other network fault is one toxic.

Toxiproxy's HTTP errors are converted here, at the boundary: 404 on a proxy is an
`UnknownTarget` naming the proxies that exist, 409 on a toxic is a `FaultConflict`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fallback.faults._registry import Controls, FaultConflict, UnknownTarget
from fallback.names import unknown
from fallback.toxics import TOXIC_TYPES, Toxic, ToxiproxyError

if TYPE_CHECKING:
    from fallback.faults._fault import Fault


class _Toxiproxy:
    """What both Toxiproxy appliers share: the proxies are the targets, `/reset` undoes everything."""

    family = "toxiproxy"

    def known_targets(self, controls: Controls) -> tuple[str, ...]:
        return tuple(sorted(controls.toxiproxy.proxies()))

    def clear_target(self, target: str, controls: Controls) -> None:
        self._on(target, controls, lambda: self._clear_proxy(target, controls))

    def reset(self, controls: Controls) -> None:
        controls.toxiproxy.reset()

    @staticmethod
    def _clear_proxy(target: str, controls: Controls) -> None:
        controls.toxiproxy.up(target)
        for toxic in controls.toxiproxy.toxics(target):
            controls.toxiproxy.remove(target, str(toxic["name"]))

    def _on(self, target: str, controls: Controls, call: Callable[[], object]) -> None:
        """Run `call` on the proxy `target`; a 404 becomes `UnknownTarget` with the proxies that exist."""
        try:
            call()
        except ToxiproxyError as exc:
            if exc.status != 404:
                raise
            raise UnknownTarget(unknown("target", target, self.known_targets(controls))) from exc


class DisableProxy(_Toxiproxy):
    """The proxy disabled: new connections refused, open ones closed (a FIN), as a stopped server would."""

    def envelope_error(self, kind: str, field: str) -> str | None:
        return f"`{kind}` disables the whole proxy: `{field}` does not apply"

    def apply(self, fault: Fault, controls: Controls) -> None:
        self._on(fault.target, controls, lambda: controls.toxiproxy.down(fault.target))

    def clear(self, fault: Fault, controls: Controls) -> None:
        self._on(fault.target, controls, lambda: controls.toxiproxy.up(fault.target))


@dataclass(frozen=True)
class AddToxic(_Toxiproxy):
    """One Toxiproxy toxic of `type`, with the fault's attributes, stream and toxicity."""

    type: str

    def __post_init__(self) -> None:
        if self.type not in TOXIC_TYPES:
            raise ValueError(f"Toxiproxy has no toxic {self.type!r} (known: {', '.join(sorted(TOXIC_TYPES))})")

    def envelope_error(self, kind: str, field: str) -> str | None:
        return None

    def toxic(self, fault: Fault) -> Toxic:
        numbers = {k: v for k, v in fault.resolved_attributes.items() if not isinstance(v, str)}  # toxics take no text
        return Toxic(self.type, numbers, fault.stream, fault.toxicity, fault.name)

    def apply(self, fault: Fault, controls: Controls) -> None:
        toxic = self.toxic(fault)
        try:
            self._on(fault.target, controls, lambda: controls.toxiproxy.add(fault.target, toxic))
        except ToxiproxyError as exc:
            if exc.status != 409:
                raise
            raise FaultConflict(
                f"{fault.target} already has a {fault.kind} toxic on its {fault.stream} stream ({toxic.resolved_name})"
            ) from exc

    def clear(self, fault: Fault, controls: Controls) -> None:
        try:
            controls.toxiproxy.remove(fault.target, self.toxic(fault).resolved_name)
        except ToxiproxyError as exc:
            if exc.status != 404:
                raise
