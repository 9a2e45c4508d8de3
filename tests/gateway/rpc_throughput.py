"""RPC calls against a simple select through the same gateway, in one run (a measurement, not a test).

    .venv/bin/python -m tests.gateway.rpc_throughput [--rounds 3] [--seconds 5] [--connections 8]

One throwaway PostgreSQL cluster (100 profiles) and one gateway (service_role key). Each round runs
every request kind below for `--seconds` after a one-second warm-up, in the same order as throughput.py
alternates code roots (forward, then reversed every other round), with `--connections` keep-alive
connections each sending one request after another (the minimal HTTP/1.1 client of `_wire.py`, so that
the load generator takes as little of the 2-core machine as possible). Prints per round and kind the
requests per second, the p50 and p99 latency, and the gateway's CPU time per request; then the medians
over rounds and each RPC kind relative to the select. Every request must answer 200.

    select      GET  /rest/v1/profiles?select=id&limit=1               (the issue's simple select)
    rpc-set     GET  /rest/v1/rpc/all_profiles?select=id&limit=1      (the same rows through a function)
    rpc-scalar  POST /rest/v1/rpc/add_them  {"a": 1, "b": 2}          (named arguments from a JSON body)
"""

from __future__ import annotations

from ._wire import Figures, Request, arguments, compare_kinds

FUNCTIONS = """
INSERT INTO public.profiles (user_id, email, role)
  SELECT gen_random_uuid(), 'user' || n || '@example.com', 'user' FROM generate_series(1, 100) n;
CREATE FUNCTION public.all_profiles() RETURNS SETOF public.profiles
  LANGUAGE sql STABLE AS $$ SELECT * FROM public.profiles $$;
CREATE FUNCTION public.add_them(a integer, b integer) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
"""
KINDS = {
    "select": Request("GET", "/rest/v1/profiles?select=id&limit=1"),
    "rpc-set": Request("GET", "/rest/v1/rpc/all_profiles?select=id&limit=1"),
    "rpc-scalar": Request("POST", "/rest/v1/rpc/add_them", b'{"a": 1, "b": 2}'),
}


def main(argv: list[str] | None = None) -> None:
    args = arguments("rpc_throughput", __doc__, argv).parse_args(argv)
    results = compare_kinds(args, FUNCTIONS, KINDS)
    medians = {kind: Figures.median(figures) for kind, figures in results.items()}
    base = medians["select"]
    for kind, m in medians.items():
        print(
            f"median  {kind:<10} {m.rate:8.1f} req/s ({m.rate / base.rate:4.2f}x select)  "
            f"p50 {m.p50_ms:6.2f} ms ({m.p50_ms / base.p50_ms:4.2f}x)  p99 {m.p99_ms:6.2f} ms  "
            f"{m.cpu_us:6.0f} µs CPU/request"
        )


if __name__ == "__main__":
    main()
