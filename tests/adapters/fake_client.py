"""A tiny client process speaking the wire protocol, for the adapter's own robustness tests.

    python fake_client.py MODE [MARKER]

Modes: `ok` (every operation), `load-only` (hello lists only `load`), `hang-load` (never answers
`load`), `hang-once` (hangs on the first `load` of all runs sharing MARKER, then answers),
`crash-load` (exits 3 on `load`), `crash-once`, `no-hello` (reads, never answers), `junk`
(prints non-protocol text on stdout before each reply), `bad-reply` (a load reply missing `rows`),
`stubborn` (ignores SIGTERM and stdin EOF, never exits by itself), `slow-first` (the first
`load` answers after the second: replies out of order), `protocol-1` (a client of the old
protocol: hello says `protocol: 1` and lists `assign_mt5`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

MODE = sys.argv[1]
MARKER = sys.argv[2] if len(sys.argv) > 2 else ""
SOURCES: list[str] = []
lock = threading.Lock()
written = [0]  # stderr lines so far, sent as `console_lines` with every reply


def send(message: dict[str, object]) -> None:
    with lock:
        if MODE == "junk":
            sys.stdout.write("debug: about to reply\n")
        sys.stdout.write(json.dumps({**message, "console_lines": written[0]}) + "\n")
        sys.stdout.flush()


def console(text: str) -> None:
    with lock:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        written[0] += 1


def first_time() -> bool:
    if os.path.exists(MARKER):
        return False
    open(MARKER, "w").close()
    return True


def attempt(source: str, op: str, kind: str = "ok", **extra: object) -> dict[str, object]:
    return {"source": source, "op": op, "kind": kind, "latency_ms": 1.5, **extra}


def load(request: dict[str, object]) -> dict[str, object]:
    if MODE == "hang-load" or (MODE == "hang-once" and first_time()):
        time.sleep(3600)
    if MODE == "crash-load" or (MODE == "crash-once" and first_time()):
        console("fatal: crashing as asked")
        os._exit(3)
    if MODE == "bad-reply":
        return {"attempts": [], "latency_ms": 1}
    console(" Loading data from ALL databases (PRIMARY + BOLT + OLD)...")
    rows = [{"id": f"{s}-{i}", "_db_source": s} for s in SOURCES[1:] for i in range(2)]
    attempts = [attempt(SOURCES[0], "select", "refused", message="connect refused")]
    attempts += [attempt(s, "select", count=2) for s in SOURCES[1:]]
    console("⚠ System using fallback databases")
    return {"rows": rows, "attempts": attempts, "latency_ms": 3.0, "tag": request.get("tag")}


def handle(request: dict[str, object]) -> None:
    op, rid = request["op"], request["id"]
    if op == "hello":
        ops = ["load"] if MODE == "load-only" else ["load", "create", "update", "delete", "call", "metrics", "shutdown"]
        old = MODE == "protocol-1"
        if old:
            ops = ["load", "create", "update", "assign_mt5", "metrics", "shutdown"]
        result: dict[str, object] = {"name": "fake", "version": "1.0", "operations": ops, "protocol": 1 if old else 2}
    elif op == "configure" and MODE == "refuse-configure":
        send({"id": rid, "ok": False, "error": {"kind": "unsupported", "message": "made for PRIMARY, BOLT, OLD"}})
        return
    elif op == "configure":
        SOURCES[:] = [str(s["name"]) for s in request["sources"]]  # type: ignore[attr-defined]
        result = {}
    elif op == "load":
        if MODE == "slow-first" and request.get("table") == "slow":
            time.sleep(0.5)
        result = load(request)
    elif op == "create":
        row = {**request["row"], "id": "new-1", "_db_source": SOURCES[1]}  # type: ignore[dict-item]
        attempts = [attempt(SOURCES[0], "insert", "http_503", status=503, code="PGRST000")]
        attempts.append(attempt(SOURCES[1], "insert", count=1))
        result = {
            "row_id": "new-1",
            "source": SOURCES[1],
            "outcome": "ok",
            "attempts": attempts,
            "latency_ms": 2,
            "row": row,
        }
    elif op == "call" and request.get("name") != "assign_mt5":
        send({"id": rid, "ok": False, "error": {"kind": "unsupported", "message": f"no flow {request.get('name')}"}})
        return
    elif op in ("update", "delete", "call"):
        row = request["row"] if op != "call" else request["args"]["row"]  # type: ignore[index]
        source = row["_db_source"]  # type: ignore[index]
        result = {
            "row_id": row["id"],
            "source": source,
            "outcome": "ok",
            "latency_ms": 1,  # type: ignore[index]
            "attempts": [attempt(source, "delete" if op == "delete" else "update", row_id=row["id"], count=1)],
            "row": row,
        }  # type: ignore[index]
    elif op == "metrics":
        result = {"requests": 7}
    elif op == "shutdown":
        send({"id": rid, "ok": True, "result": {}})
        os._exit(0)
    else:
        send({"id": rid, "ok": False, "error": {"kind": "unsupported", "message": f"no {op}"}})
        return
    send({"id": rid, "ok": True, "result": result})


def main() -> None:
    if MODE == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for line in sys.stdin:
        request = json.loads(line)
        if MODE == "no-hello":
            continue
        threading.Thread(target=handle, args=(request,), daemon=True).start()
    while MODE == "stubborn":
        time.sleep(1)


if __name__ == "__main__":
    main()
