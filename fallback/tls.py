"""One TLS context for every httpx client the harness builds (`verify=shared_context()`).

httpx builds an `ssl.SSLContext` for every client it constructs, even one that only ever talks plain
`http://`: `ssl.create_default_context` loads certifi's CA bundle, about 25 ms each time (more on a
loaded machine). An explored schedule builds a client per source, a Toxiproxy client and readiness probes,
so that was a tenth of a second per schedule. httpx's documentation recommends building the context once
and passing it as `verify=` ("SSL configuration": an `SSLContext` instance is accepted and reused as is).

The context is exactly the one httpx would build itself (`httpx.create_ssl_context()`: certifi's bundle,
or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set), so certificates are verified as before on `https://` URLs.
An `SSLContext` holds no per-connection state: sharing it shares no session, cookie or pool.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["shared_context"]


@functools.cache
def shared_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once per process."""
    return httpx.create_ssl_context()
