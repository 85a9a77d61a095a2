"""The fixed-rate schedule, on virtual time: hours in milliseconds, exact counts."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from aiolimiter import AsyncLimiter

from monitor.bus.base import Subscription
from monitor.bus.local import LocalBus
from monitor.models import UNKNOWN_ORIGIN, ProbeResult, SelfHealth
from monitor.probes.feedback import VenueFeedback
from monitor.probes.health import LoopLag, SelfHealthReporter, loop_lag_ticker
from monitor.probes.plan import spread_offset
from monitor.probes.runner import Gate, ScheduleStats, next_tick, probe_loop
from tests.fakes import FakeClock, InstantProbe
from tests.probes.helpers import http_plan


def gate() -> Gate:
    return Gate(AsyncLimiter(1e9, 1.0), {}, asyncio.Semaphore(1000))


async def run_probes(
    clock: FakeClock, probes: list[InstantProbe], duration_s: float
) -> tuple[Subscription[ProbeResult], ScheduleStats]:
    bus = LocalBus()
    results = bus.subscribe(ProbeResult, "test", 1_000_000)
    stats = ScheduleStats()
    lag, feedback = LoopLag(), VenueFeedback()
    async with asyncio.TaskGroup() as tg:
        tasks = [
            tg.create_task(probe_loop(p, clock, gate(), bus, lag, stats, feedback)) for p in probes
        ]
        await clock.run_for(duration_s, sleepers=len(probes))
        for task in tasks:
            task.cancel()
    return results, stats


async def test_one_hour_at_one_second_is_exactly_3600_probes(fake_clock: FakeClock) -> None:
    plans = [
        dataclasses.replace(
            http_plan(f"http://t{i}.test/"),
            endpoint_id=f"t{i}.http",
            offset_s=spread_offset(i, 1.0),
        )
        for i in range(5)
    ]
    probes = [InstantProbe(plan, fake_clock) for plan in plans]
    results, stats = await run_probes(fake_clock, probes, 3600.0)
    assert [len(p.starts) for p in probes] == [3600] * 5
    assert stats.probes == 18_000 and stats.missed_ticks == 0
    assert results.qsize() == 18_000
    for probe in probes:
        first = probe.starts[0]
        # never drifts: probe k starts exactly at first + k * interval
        assert all(t == pytest.approx(first + k) for k, t in enumerate(probe.starts))


async def test_slow_probes_skip_and_count_missed_ticks(fake_clock: FakeClock) -> None:
    probe = InstantProbe(http_plan("http://slow.test/"), fake_clock, cost_s=2.5)
    _, stats = await run_probes(fake_clock, [probe], 30.0)
    # each probe costs 2.5 intervals: probes at 0, 3, 6, ... 27; after each, two ticks skipped
    assert probe.starts == pytest.approx([1000.0 + 3 * k for k in range(10)])
    assert stats.missed_ticks == 2 * 10


def test_next_tick() -> None:
    assert next_tick(0.0, 1.0, 5, 4.2) == 5
    assert next_tick(0.0, 1.0, 5, 5.0) == 5
    assert next_tick(0.0, 1.0, 5, 7.5) == 8
    assert next_tick(0.0, 1.0, 1, 3.0) == 3


def test_spread_offsets_are_within_interval_and_distinct() -> None:
    offsets = [spread_offset(i, 2.0) for i in range(1000)]
    assert all(0.0 <= o < 2.0 for o in offsets)
    assert len(set(offsets)) == 1000
    # evenly spread: every tenth of the interval holds close to a tenth of the endpoints
    buckets = [sum(1 for o in offsets if b * 0.2 <= o < (b + 1) * 0.2) for b in range(10)]
    assert max(buckets) - min(buckets) <= 5


async def test_loop_lag_ticker_records_lateness(fake_clock: FakeClock) -> None:
    gauge = LoopLag()
    bus = LocalBus()
    published = bus.subscribe(SelfHealth, "test", 1000)
    reporter = SelfHealthReporter(UNKNOWN_ORIGIN, fake_clock, ScheduleStats(), bus)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(loop_lag_ticker(fake_clock, gauge, 0.1, reporter))
        await fake_clock.run_for(1.0, sleepers=1)
        assert gauge.current_s == 0.0
        fake_clock.shift(0.35)  # the loop was blocked for 350 ms past a due tick
        await fake_clock.run_for(0.01, sleepers=1)
        task.cancel()
    reports = [published.get_nowait() for _ in range(published.qsize())]
    assert max(h.loop_lag_s for h in reports) == pytest.approx(0.35, abs=0.11)
