"""Run the harness on any fallback client: by name, by import path, or as a subprocess over JSON lines.

See `loader` for the accepted `--client` values, `protocol_messages` for the wire format and
`example_client` for a minimal client to copy.
"""

from fallback.adapters.loader import ClientSpecError, load_client
from fallback.adapters.process import ConsoleLine
from fallback.adapters.protocol_messages import PROTOCOL_VERSION, ProtocolError
from fallback.adapters.subprocess_client import CallFailed, ClientRefused, SubprocessClient

__all__ = [
    "PROTOCOL_VERSION",
    "CallFailed",
    "ClientRefused",
    "ClientSpecError",
    "ConsoleLine",
    "ProtocolError",
    "SubprocessClient",
    "load_client",
]
