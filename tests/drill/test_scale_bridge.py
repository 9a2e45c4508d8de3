"""The gevent/asyncio boundary of a Locust worker (`fallback.drill.scale.bridge`), in a process of its own
(as a worker is): Locust imported, its hub running greenlets, and the worker's asyncio loop in its thread
doing what a client does (TCP, DNS, the default executor), while the greenlets keep running."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, socket, threading
    import fallback.drill.scale  # sets LOCUST_SKIP_MONKEY_PATCH, as the worker's entry point does
    import locust  # the worker imports it: nothing may be patched
    import gevent
    from gevent import monkey
    from fallback.drill.scale.bridge import LoopThread

    ticks = []
    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0.01)

    async def client_work():
        async def echo(reader, writer):
            writer.write(await reader.readline())
            await writer.drain()
            writer.close()
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("localhost", port)  # DNS through the executor
        writer.write(b"ping\\n")
        answer = await reader.readline()
        writer.close()
        server.close()
        await asyncio.sleep(0.3)  # the greenlets must run meanwhile
        in_thread = await asyncio.to_thread(threading.current_thread)
        return answer.decode().strip(), in_thread is not threading.main_thread()

    gevent.spawn(ticker)
    loop = LoopThread()
    before = len(ticks)
    answer, other_thread = loop.call(client_work())
    during = len(ticks) - before
    loop.close()
    print(json.dumps({
        "answer": answer,
        "executor_thread": other_thread,
        "ticks_during": during,
        "patched": [m for m in ("socket", "select", "selectors", "threading", "time") if monkey.is_module_patched(m)],
    }))
    """
)


def test_the_asyncio_loop_works_beside_a_running_gevent_hub() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["answer"] == "ping"
    assert seen["executor_thread"] is True
    assert seen["patched"] == []
    assert seen["ticks_during"] >= 10  # ~30 in 0.3 s: the hub was not blocked while the loop worked
