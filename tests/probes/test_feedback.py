"""VenueFeedback: holds and clock offsets derived from results only, shared by a venue's
probes without any side channel between probe and runner."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from aiolimiter import AsyncLimiter

from monitor.bus.local import LocalBus
from monitor.models import Outcome, ProbeResult
from monitor.probes.feedback import VenueFeedback
from monitor.probes.health import LoopLag
from monitor.probes.runner import Gate, ScheduleStats, probe_loop
from tests.fakes import FakeClock, InstantProbe
from tests.probes.helpers import http_plan


def result(venue: str, outcome: Outcome = Outcome.OK, **extra: Any) -> ProbeResult:
    base = ProbeResult(f"{venue}.e", venue, "e", outcome, 0.0, 0.0, 0.01, 0.0, 0.0)
    return dataclasses.replace(base, **extra)


def test_retry_after_holds_the_venue_until_it_ends() -> None:
    feedback = VenueFeedback()
    feedback.observe(result("binance", Outcome.RATE_LIMITED, retry_after_s=30.0), 100.0, 5e9)
    assert feedback.held("binance", 129.9) and not feedback.held("binance", 130.0)
    assert not feedback.held("okx", 100.0)


def test_a_ban_outlasts_a_shorter_retry_after_and_a_later_ok_does_not_lift_it() -> None:
    feedback = VenueFeedback()
    ban = result("binance", Outcome.RATE_LIMITED, retry_after_s=1.0, ban_until_s=5e9 + 120)
    feedback.observe(ban, 100.0, 5e9)
    feedback.observe(result("binance"), 101.0, 5e9 + 1)
    assert feedback.held("binance", 219.0) and not feedback.held("binance", 220.0)


def test_clock_offsets_come_from_the_last_measurement() -> None:
    feedback = VenueFeedback()
    assert feedback.offset_s("okx") == 0.0
    feedback.observe(result("okx", clock_offset_s=0.25), 0.0, 0.0)
    feedback.observe(result("okx"), 1.0, 1.0)  # a result without a measurement keeps it
    assert feedback.offset_s("okx") == 0.25


class RateLimitedOnce(InstantProbe):
    """Answers 429 with Retry-After 10 s to its first probe, OK afterwards."""

    async def run(self, scheduled_s: float, sched_lag_s: float, loop_lag_s: float) -> ProbeResult:
        answer = await super().run(scheduled_s, sched_lag_s, loop_lag_s)
        if len(self.starts) > 1:
            return answer
        return dataclasses.replace(answer, outcome=Outcome.RATE_LIMITED, retry_after_s=10.0)


async def test_a_429_on_one_endpoint_holds_every_endpoint_of_the_venue(
    fake_clock: FakeClock,
) -> None:
    plan = http_plan("http://venue.test/")
    limited = RateLimitedOnce(plan, fake_clock)
    sibling = InstantProbe(dataclasses.replace(plan, endpoint_id="target.other"), fake_clock)
    stats, feedback, bus = ScheduleStats(), VenueFeedback(), LocalBus()
    gate = Gate(AsyncLimiter(1e9, 1.0), {}, asyncio.Semaphore(10))
    async with asyncio.TaskGroup() as tg:
        tasks = [
            tg.create_task(probe_loop(p, fake_clock, gate, bus, LoopLag(), stats, feedback))
            for p in (limited, sibling)
        ]
        await fake_clock.run_for(30.0, sleepers=2)
        for task in tasks:
            task.cancel()
    # the 429 at t=0 holds the venue for 10 s: the sibling, due at t=0 just after it, skips
    # ticks 0..9 and the limited endpoint ticks 1..9
    assert stats.held_ticks == 10 + 9
    assert (len(limited.starts), len(sibling.starts)) == (30 - 9, 30 - 10)
