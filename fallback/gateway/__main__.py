"""`python -m fallback.gateway --config PATH`: one gateway, one process, uvicorn inside."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from .app import create_app
from .config import GatewayConfig
from .db import Database
from .edge import CONTROL_FILE, Edge
from .limits import MAX_HEADER_BYTES
from .protocol import GatewayH11Protocol
from .retry_now import RETRY_FILE, nudgeable_sleep


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fallback.gateway", description=__doc__)
    parser.add_argument("--config", required=True, help="path of the gateway's JSON configuration")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    config = GatewayConfig.load(args.config)
    logging.basicConfig(level=args.log_level.upper(), format=f"%(asctime)s {config.name} %(levelname)s %(message)s")
    # The reconnect backoff's sleep ends early when the harness touches `retry-now` (retry_now.py explains when).
    db = Database(config, sleep=nudgeable_sleep(Path(args.config).with_name(RETRY_FILE)))
    uvicorn.run(
        Edge(create_app(config, db), control=Path(args.config).with_name(CONTROL_FILE)),  # the HTTP-edge faults
        host=config.host,
        port=config.port,
        log_level=args.log_level,
        access_log=config.access_log,
        lifespan="on",
        timeout_graceful_shutdown=2,
        server_header=False,  # the edge layer sends it (edge.py): Kong's and Cloudflare's pages name their own
        # PostgREST's HTTP server (warp) closes idle keep-alive connections after 30 s; uvicorn's own default
        # (5 s) would close a connection whose reply a `timeout` toxic swallowed, turning a hang into a reset.
        timeout_keep_alive=30,
        # Requests whose line and headers pass 50 KiB get 431 with a JSON body, not a reset (protocol.py).
        http=GatewayH11Protocol,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )


if __name__ == "__main__":
    main()
