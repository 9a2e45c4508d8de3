"""One TLS context for every httpx client the harness builds: built once, and still verifying certificates."""

from __future__ import annotations

import ssl

import httpx

from fallback.client.config import Deadline, SourceConfig
from fallback.client.source import Source
from fallback.tls import shared_context


def test_the_shared_context_is_built_once_and_verifies_like_httpx_default() -> None:
    context = shared_context()
    assert shared_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"]  # a CA bundle is loaded


def test_a_tuned_source_uses_it_for_its_http_client() -> None:
    source = Source.tuned(SourceConfig(name="PRIMARY", url="http://127.0.0.1:9", key="k"), Deadline(), breaker=None)
    transport = source._http._transport if source._http is not None else None  # httpx keeps the context in its pool
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    assert transport._pool._ssl_context is shared_context()
