"""Throughput and latency of an embedded select beside a plain select, one gateway (a measurement, not a test).

    .venv/bin/python -m tests.gateway.embed_throughput [--rounds 3] [--seconds 5] [--connections 8]

Starts one throwaway PostgreSQL cluster with the embedding fixture (conformance/embed_fixture.sql,
schema `test`), one gateway in front of it, and then, for each round, loads it with the two queries in
turn (A B, then B A, ...) with `--connections` keep-alive connections each sending one request after
another (service_role):

    plain     GET /rest/v1/projects?select=id,name
    embedded  GET /rest/v1/projects?select=id,name,clients(name),tasks(id,name)

Prints per round requests per second, p50 and p99 latency and the gateway process's CPU time per request;
then the medians per query and the median of the rounds' embedded/plain ratios (each round's pair ran
back to back, so it shares the machine's load). Every request must answer 200. The load generator is the
minimal HTTP/1.1 client of `_wire.py`.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from ._wire import Figures, Request, arguments, compare_kinds

QUERIES = {
    "plain": Request("GET", "/rest/v1/projects?select=id,name"),
    "embedded": Request("GET", "/rest/v1/projects?select=id,name,clients(name),tasks(id,name)"),
}
FIXTURE = Path(__file__).parent / "conformance" / "embed_fixture.sql"


def main(argv: list[str] | None = None) -> None:
    args = arguments("embed_throughput", __doc__, argv).parse_args(argv)
    results = compare_kinds(args, FIXTURE.read_text(encoding="utf-8"), QUERIES, schemas=("test",))
    for name, figures in results.items():
        print(f"median  {name:<10} {Figures.median(figures).line()}")
    pairs = list(zip(results["embedded"], results["plain"], strict=True))
    rate_ratio = statistics.median(e.rate / p.rate for e, p in pairs)
    p50_ratio = statistics.median(e.p50_ms / p.p50_ms for e, p in pairs)
    print(f"embedded / plain, median of the rounds' ratios: throughput {rate_ratio:.2f}x  p50 {p50_ratio:.2f}x")


if __name__ == "__main__":
    main()
