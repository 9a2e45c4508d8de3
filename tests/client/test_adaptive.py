"""The adaptive cut: the window's rule with an injected clock (pure), and the client against fake sources."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fallback.client import ReferenceClient
from fallback.client.adaptive import AdaptiveCut, LatencyWindow, gather_with_cut
from fallback.client.results import Attempt
from fallback.stats import percentile, percentile_of_sorted

from .test_reference_offline import CONFIGS, DEADLINE, FakeProjects

HARD = 2.5


def window(*latencies: float, **settings: float) -> LatencyWindow:
    w = LatencyWindow(AdaptiveCut(**settings))  # type: ignore[arg-type]
    for seconds in latencies:
        w.record(seconds)
    return w


def test_no_cut_before_any_source_answered() -> None:
    assert window(0.01, 0.01, 0.01).cut(None, HARD) is None


def test_cold_window_follows_the_first_answer_of_the_load() -> None:
    cold = window(0.01)
    cut = cold.cut(0.002, HARD)
    assert cut is not None and cut.at == pytest.approx(0.100)  # the floor: 3 x 2 ms is less
    slow_peers = cold.cut(0.104, HARD)
    assert slow_peers is not None and slow_peers.at == pytest.approx(0.312)  # 3 x 104 ms: all slow, none cut
    assert "first answer" in slow_peers.reason


def test_cold_window_counts_its_own_calls_at_once() -> None:
    """Regression (issue 16, PRIMARY slow +300 ms back to back: included again only at the 6th load):
    one known call of 310 ms already sets the cut, not the peers' 5 ms first answer."""
    one = window(0.31)
    cut = one.cut(0.005, HARD)
    assert cut is not None and cut.at == pytest.approx(0.93) and "own p99" in cut.reason
    assert window().cut(0.005, HARD).at == pytest.approx(0.100)  # type: ignore[union-attr]  # nothing known
    fast_own = window(0.004).cut(0.104, HARD)  # its own calls were faster than this load's first answer
    assert fast_own is not None and fast_own.at == pytest.approx(0.312) and "first answer" in fast_own.reason
    assert window(0.9).cut(0.001, HARD) is None  # 2.7 s >= the hard deadline


def test_p99_follows_every_recorded_call() -> None:
    """The p99 is kept between looks, and forgotten at each new call."""
    w = window(0.01, 0.01, 0.01)
    assert w.p99() == pytest.approx(0.01)
    w.record(0.5)
    assert w.p99() is not None and w.p99() > 0.45  # type: ignore[operator]
    assert w.cut(0.001, HARD).at > 1.3  # type: ignore[union-attr]


@given(st.lists(st.floats(0, 5), min_size=1, max_size=60), st.integers(0, 100))
def test_the_windows_quantile_is_the_projects_percentile(values: list[float], q: int) -> None:
    """The window's one-quantile shortcut gives exactly `fallback.stats.percentile`."""
    assert percentile_of_sorted(sorted(values), q) == percentile(values, q)


def test_warm_window_is_k_times_its_p99_floored_and_capped() -> None:
    fast = window(0.005, 0.006, 0.007)
    cut = fast.cut(0.001, HARD)
    assert cut is not None and cut.at == pytest.approx(0.100) and "p99" in cut.reason
    slowish = window(0.005, 0.006, 0.200)
    cut = slowish.cut(0.001, HARD)
    assert cut is not None and 0.58 < cut.at <= 0.600  # p99 interpolated just under the max
    assert window(0.9, 0.9, 0.9).cut(0.001, HARD) is None  # 2.7 s >= the hard deadline: not cut


def test_window_forgets_old_latencies() -> None:
    w = window(1.0, *(0.01,) * 5, window=5)
    assert len(w) == 5 and w.p99() == pytest.approx(0.01)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="floor"):
        AdaptiveCut(floor=0)
    with pytest.raises(ValueError, match="quantile"):
        AdaptiveCut(quantile=0)


class TickingClock:
    """Each reading is 50 ms after the previous one: the cut comes due after a few looks, not in real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.05
        return self.now


async def test_gather_cuts_the_late_source_and_hands_its_late_answer_over() -> None:
    """An injected clock for the rule; the event loop's own waits are real but tiny."""
    clock = TickingClock()
    release = asyncio.Event()
    late: list[tuple[str, int]] = []
    background: set[asyncio.Task[object]] = set()

    async def answer(name: str, advance: float, rows: int) -> tuple[Attempt, list[dict[str, object]]]:
        clock.now += advance
        return Attempt(name, "select", "ok", advance * 1000, count=rows), [{"id": i} for i in range(rows)]

    async def slow() -> tuple[Attempt, list[dict[str, object]]]:
        await release.wait()
        return Attempt("PRIMARY", "select", "ok", 900.0, count=2), [{"id": 1}, {"id": 2}]

    settings = AdaptiveCut(floor=0.1)
    windows = [LatencyWindow(settings) for _ in range(2)]
    got = await gather_with_cut(
        [("PRIMARY", windows[0], slow()), ("BOLT", windows[1], answer("BOLT", 0.01, 3))],
        hard=HARD,
        on_late=lambda attempt, rows: late.append((attempt.source, len(rows))),
        background=background,  # type: ignore[arg-type]
        clock=clock,
    )
    got = await gather_with_cut(
        [("PRIMARY", windows[0], slow()), ("BOLT", windows[1], answer("BOLT", 0.01, 3))],
        hard=HARD,
        on_late=lambda attempt, rows: late.append((attempt.source, len(rows))),
        background=background,  # type: ignore[arg-type]
        clock=clock,
    )
    assert [a.kind for a, _ in got] == ["cut", "ok"]
    assert "cut at" in got[0][0].message and got[0][1] == []
    assert late == [] and len(background) == 2
    release.set()
    await asyncio.gather(*background)
    assert late == [("PRIMARY", 2), ("PRIMARY", 2)]


async def test_a_hung_primary_costs_a_load_its_cut_not_its_deadline(tmp_path: Path) -> None:
    projects = FakeProjects()
    projects.mode["PRIMARY"] = "hang"
    async with ReferenceClient(
        CONFIGS, deadline=DEADLINE, cache_dir=tmp_path, transport=httpx.MockTransport(projects), adaptive=AdaptiveCut()
    ) as client:
        start = time.perf_counter()
        result = await client.load("user_challenges")
        elapsed = time.perf_counter() - start
        assert elapsed < DEADLINE.total - 0.1  # the static client waits the whole 0.3 s
        assert result.degraded and result.attempts[0].kind == "cut"
        assert result.counts() == {"PRIMARY": 0, "BOLT": 3, "OLD": 1}
        assert client.metrics()["sources"]["PRIMARY"]["failures"] == {"cut": 1}


async def test_a_slow_primary_is_learnt_and_included_again(tmp_path: Path) -> None:
    """PRIMARY answers in 150 ms (> the 100 ms floor): cut at first, its late answer teaches the
    window, then it is waited for again."""
    projects = FakeProjects()

    async def transport(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("primary"):
            await asyncio.sleep(0.15)
        return await projects(request)

    deadline = DEADLINE.__class__(connect=1, read=1, write=1, pool=1, total=1.0)
    async with ReferenceClient(
        CONFIGS,
        deadline=deadline,
        cache_dir=tmp_path,
        transport=httpx.MockTransport(transport),
        adaptive=AdaptiveCut(),
    ) as client:
        kinds = []
        for _ in range(5):
            kinds.append((await client.load("user_challenges")).attempts[0].kind)
            await asyncio.sleep(0.1)
        assert kinds[0] == "cut" and kinds[-1] == "ok", kinds
        assert client.metrics()["adaptive"]["PRIMARY"]["warm"] is True


async def test_a_create_skips_a_source_with_cut_calls_still_running(tmp_path: Path) -> None:
    """Regression (primary-hung with the cut on): after a cut load the hung PRIMARY's breaker is still
    closed; the create must not hang on PRIMARY (indeterminate) but go to BOLT, PRIMARY's attempt a `cut`
    that sent nothing. Once the late call ended, PRIMARY takes creates again."""
    projects = FakeProjects()
    projects.mode["PRIMARY"] = "hang"
    async with ReferenceClient(
        CONFIGS, deadline=DEADLINE, cache_dir=tmp_path, transport=httpx.MockTransport(projects), adaptive=AdaptiveCut()
    ) as client:
        await client.load("user_challenges")
        result = await client.create("user_challenges", {"email": "a@example.com"})
        assert result.outcome == "ok" and result.source == "BOLT"
        assert result.attempts[0].kind == "cut" and result.attempts[0].message.startswith("not sent")
        await asyncio.gather(*client._late)  # the late call ends at the hard deadline
        projects.mode["PRIMARY"] = "ok"
        again = await client.create("user_challenges", {"email": "b@example.com"})
        assert again.source == "PRIMARY"


def slow_primary(projects: FakeProjects, seconds: float) -> httpx.MockTransport:
    async def transport(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("primary"):
            await asyncio.sleep(seconds)
        return await projects(request)

    return httpx.MockTransport(transport)


async def test_a_slow_primary_back_to_back_is_included_by_the_fourth_load(tmp_path: Path) -> None:
    """Regression (issue 16: a slow PRIMARY came back at the 6th load back to back): PRIMARY answers
    in 125 ms, the floor is 50 ms, loads follow each other without a pause (each cut at 50 ms). Its
    first late call ends during the 3rd load, whose cut then grows to 3 x 125 ms: PRIMARY is included
    from the 3rd load (the 4th if the machine is slow). The old rule waited for 3 late calls (the 5th)."""
    deadline = DEADLINE.__class__(connect=1, read=1, write=1, pool=1, total=1.0)
    async with ReferenceClient(
        CONFIGS,
        deadline=deadline,
        cache_dir=tmp_path,
        transport=slow_primary(FakeProjects(), 0.125),
        adaptive=AdaptiveCut(floor=0.05),
    ) as client:
        kinds = [(await client.load("user_challenges")).attempts[0].kind for _ in range(6)]
        assert kinds[0] == "cut" and "ok" in kinds, kinds
        included = kinds.index("ok") + 1
        assert included <= 4 and all(k == "ok" for k in kinds[included - 1 :]), kinds


async def test_a_hung_primary_stays_cut_load_after_load(tmp_path: Path) -> None:
    """A hung source teaches its window nothing (no call ends ok): every load cuts it at the floor,
    none waits for it, and its window stays empty."""
    projects = FakeProjects()
    projects.mode["PRIMARY"] = "hang"
    deadline = DEADLINE.__class__(connect=1, read=1, write=1, pool=1, total=1.0)
    async with ReferenceClient(
        CONFIGS, deadline=deadline, cache_dir=tmp_path, transport=httpx.MockTransport(projects), adaptive=AdaptiveCut()
    ) as client:
        for _ in range(4):
            start = time.perf_counter()
            result = await client.load("user_challenges")
            assert time.perf_counter() - start < 0.5
            assert result.attempts[0].kind == "cut"
        assert client.metrics()["adaptive"]["PRIMARY"]["calls"] == 0


async def test_a_call_learnt_while_a_load_waits_lifts_its_cut() -> None:
    """The 4th load of a slow PRIMARY, on the injected clock (50 ms a reading): the load's first answer came
    100 ms in, so cold its cut is 300 ms; while it waits, PRIMARY's first late call ends (310 ms, recorded in
    its window) and at the next look the cut is 3 x 310 ms: the load waits and PRIMARY's own answer (0.6 s of
    real time later) is included. Under the old rule (a window of 1 call still followed the first answer)
    PRIMARY was cut after 0.3 s of real waits."""
    clock = TickingClock()
    release = asyncio.Event()
    windows = [LatencyWindow(AdaptiveCut()) for _ in range(2)]

    async def primary() -> tuple[Attempt, list[dict[str, object]]]:
        await release.wait()
        return Attempt("PRIMARY", "select", "ok", 310.0, count=1), [{"id": 1}]

    async def bolt() -> tuple[Attempt, list[dict[str, object]]]:
        return Attempt("BOLT", "select", "ok", 5.0, count=1), [{"id": 2}]

    async def earlier_late_call_ends() -> None:
        await asyncio.sleep(0.01)  # before the load's first real wait (50 ms) is over: timers keep their order
        windows[0].record(0.31)
        await asyncio.sleep(0.6)
        release.set()

    teacher = asyncio.create_task(earlier_late_call_ends())
    got = await gather_with_cut(
        [("PRIMARY", windows[0], primary()), ("BOLT", windows[1], bolt())],
        hard=HARD,
        on_late=lambda attempt, rows: None,
        background=set(),
        clock=clock,
    )
    await teacher
    assert [a.kind for a, _ in got] == ["ok", "ok"], [a.message for a, _ in got]
