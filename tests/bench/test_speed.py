"""The gateway-vs-bare benchmark's pure parts: wrk's figures, the ratios and the report rows."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from fallback.bench import load, speed
from fallback.bench.labels import GATEWAY_SPEED, Label


def _line(requests: int, p50_us: int, status_errors: int = 0) -> str:
    return (
        f'{load.MARK}{{"requests": {requests}, "duration_us": 2000000, "p50_us": {p50_us}, "p99_us": 9000, '
        f'"mean_us": 1234.5, "connect": 0, "read": 0, "write": 0, "status": {status_errors}, "timeout": 0}}'
    )


def test_parse_reads_the_done_hook_line() -> None:
    run = load.parse(f"Running 2s test\n{_line(1000, 1500)}\n  Latency 1.2ms\n")
    assert (run.requests, run.rps, run.p50_ms, run.p99_ms, run.errors) == (1000, 500.0, 1.5, 9.0, 0)


def test_parse_counts_non_2xx_as_errors_and_refuses_output_without_figures() -> None:
    assert load.parse(_line(10, 100, status_errors=3)).errors == 3
    with pytest.raises(load.LoadError, match="no figures"):
        load.parse("wrk: connection refused")


def test_the_lua_script_sets_method_headers_and_body() -> None:
    script = load._lua(load.Request("http://x/", "POST", (("apikey", 'k"1'),), '{"a": 1}'))
    assert 'wrk.method = "POST"' in script and 'wrk.headers["apikey"] = "k\\"1"' in script
    assert 'wrk.body = "{\\"a\\": 1}"' in script and "done = function" in script


def _run(rps: float, p50_ms: float, cpu: float | None = 500.0) -> load.LoadRun:
    return load.LoadRun(int(rps * 2), 2.0, p50_ms, p50_ms * 3, p50_ms, 0, cpu)


def test_ratios_are_of_the_medians_and_rows_come_back_from_the_json() -> None:
    result = speed.SpeedResult(
        "select",
        gateway=(_run(800, 10), _run(900, 9), _run(100, 50)),
        bare=(_run(1000, 8), _run(1000, 8), _run(1000, 8)),
    )
    assert result.rps_ratio == pytest.approx(0.8) and result.p50_ratio == pytest.approx(10 / 8)
    entry = {"extra_info": {**Label(GATEWAY_SPEED, "select").extra_info(), "speed": result.info()}}
    (back,) = speed.speed_results({"benchmarks": [entry, {"extra_info": {"scenario": "read"}}]})
    assert back == result
    (row,) = speed.speed_rows([back])
    assert row[0] == "select" and row[3] == "0.80x" and row[6] == "1.25x" and len(row) == len(speed.SPEED_HEADER)
    assert asdict(back.gateway[0])["server_cpu_us"] == 500.0
