"""libpq-like descriptions of connection failures, for PGRST000's `details`."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg


def server_of(dsn: str) -> tuple[str, int]:
    try:
        parts = urlsplit(dsn)
        return parts.hostname or "localhost", parts.port or 5432
    except ValueError:
        return "localhost", 5432


def describe_connect_failure(dsn: str, exc: BaseException) -> str:
    host, port = server_of(dsn)
    prefix = f'connection to server at "{host}", port {port} failed: '
    if isinstance(exc, ConnectionRefusedError):
        return prefix + "Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n"
    if isinstance(exc, TimeoutError):
        return prefix + "timeout expired\n"
    if isinstance(exc, ConnectionError | EOFError | asyncpg.ConnectionDoesNotExistError):
        return (
            prefix + "server closed the connection unexpectedly\n\tThis probably means the server terminated "
            "abnormally\n\tbefore or while processing the request.\n"
        )
    if isinstance(exc, asyncpg.PostgresError):
        return prefix + f"FATAL:  {exc}\n"
    return prefix + f"{exc}\n"
