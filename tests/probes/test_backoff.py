"""Staying away from a venue that refuses us, on virtual time: each answer is a real body
read by the venue's own profile. A blocked host probes once a minute; a rate-limiting venue
without Retry-After sees at most 5 requests in 45 s, whatever its number of endpoints."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

import pytest
from aiolimiter import AsyncLimiter

from monitor.bus.local import LocalBus
from monitor.exchanges import EXCHANGES
from monitor.models import Outcome, ProbeResult
from monitor.probes.feedback import VenueFeedback
from monitor.probes.health import LoopLag
from monitor.probes.plan import spread_offset
from monitor.probes.runner import Gate, ScheduleStats, probe_loop
from tests.exchanges.test_interpret import NOW, body
from tests.exchanges.test_interpret_access import CLOUDFRONT, GEO_PAGE
from tests.fakes import FakeClock, InstantProbe
from tests.probes.helpers import http_plan

Answer = tuple[int, dict[str, str], bytes]


class RefusingVenue(InstantProbe):
    """Answers `answer` (read by `venue`'s profile) until `clears_at_s`, OK afterwards."""

    def __init__(self, venue: str, endpoint: str, answer: Answer, clock: FakeClock, i: int) -> None:
        plan = dataclasses.replace(
            http_plan(f"http://{venue}.test/"),
            endpoint_id=f"{venue}.{endpoint}",
            venue=venue,
            endpoint=endpoint,
            offset_s=spread_offset(i, 1.0),
        )
        super().__init__(plan, clock)
        self.venue, self.answer, self.clears_at_s = venue, answer, float("inf")

    async def run(self, scheduled_s: float, sched_lag_s: float, loop_lag_s: float) -> ProbeResult:
        ok = await super().run(scheduled_s, sched_lag_s, loop_lag_s)
        if self._clock.monotonic() >= self.clears_at_s:
            return ok
        profile = EXCHANGES[self.venue]
        status, headers, raw = self.answer
        verdict = profile.interpret(profile.endpoint(self.plan.endpoint), status, headers, raw, NOW)
        return dataclasses.replace(
            ok,
            outcome=verdict.outcome,
            status=status,
            detail=verdict.detail,
            retry_after_s=verdict.retry_after_s,
            block=verdict.block,
            backoff_s=verdict.backoff_s,
        )


async def run(
    clock: FakeClock, probes: list[RefusingVenue], duration_s: float
) -> list[ProbeResult]:
    bus = LocalBus()
    seen = bus.subscribe(ProbeResult, "test", 100_000)
    gate = Gate(AsyncLimiter(1e9, 1.0), {}, asyncio.Semaphore(100))
    stats, feedback = ScheduleStats(), VenueFeedback()
    async with asyncio.TaskGroup() as tg:
        tasks = [
            tg.create_task(probe_loop(p, clock, gate, bus, LoopLag(), stats, feedback))
            for p in probes
        ]
        await clock.run_for(duration_s, sleepers=len(probes))
        for task in tasks:
            task.cancel()
    return [seen.get_nowait() for _ in range(seen.qsize())]


def venue(name: str, answer: Answer, clock: FakeClock) -> list[RefusingVenue]:
    endpoints = [ep.name for ep in EXCHANGES[name].endpoints]
    return [RefusingVenue(name, ep, answer, clock, i) for i, ep in enumerate(endpoints)]


async def test_a_blocked_host_probes_the_venue_once_a_minute_until_it_clears(
    fake_clock: FakeClock,
) -> None:
    probes = venue("binance", (403, CLOUDFRONT, GEO_PAGE), fake_clock)
    for probe in probes:
        probe.clears_at_s = fake_clock.monotonic() + 250.0
    results = await run(fake_clock, probes, 310.0)
    denied = [r for r in results if r.outcome is Outcome.ACCESS_DENIED]
    # t=0, 60, 120, 180, 240: one request a minute for all four endpoints together
    assert len(denied) == 5
    assert {r.next_probe_s for r in denied} == {60.0}
    starts = sorted(t for p in probes for t in p.starts)
    assert all(b - a >= 59.9 for a, b in itertools.pairwise(starts[:6]))
    # the trial at t=300 is answered: every endpoint is back at its own rate
    assert {r.endpoint for r in results if r.outcome is Outcome.OK} == {
        p.plan.endpoint for p in probes
    }


# Rate limits without Retry-After, each as its venue sends it (fixtures and sim wire).
THROTTLED: dict[str, Answer] = {
    "binance": (429, {}, body("binance/error_429_too_much_weight_legacy1200.json")),
    "okx": (429, {}, body("okx/error_50011_http429.json")),
    "bybit": (200, {}, body("bybit/error_10006_too_many_visits.json")),
    "kraken": (200, {}, body("kraken/error_rate_limit.json")),
    "coinbase": (429, {}, body("coinbase/exchange_error_429_public.json")),
}


@pytest.mark.parametrize("name", list(THROTTLED))
async def test_a_rate_limiting_venue_gets_at_most_5_requests_in_45_s(
    fake_clock: FakeClock, name: str
) -> None:
    probes = venue(name, THROTTLED[name], fake_clock)
    results = await run(fake_clock, probes, 45.0)
    assert 1 <= len(results) <= 5  # 4 endpoints at 1 s: 180 before
    assert all(r.outcome is Outcome.RATE_LIMITED for r in results)
    waits = [r.next_probe_s or 0.0 for r in results]
    assert waits == sorted(waits) and waits[0] > 0


def test_backoff_doubles_from_the_venues_start_and_is_capped() -> None:
    feedback, profile = VenueFeedback(), EXCHANGES["okx"]
    status, headers, raw = THROTTLED["okx"]
    verdict = profile.interpret(profile.endpoint("ticker"), status, headers, raw, NOW)
    assert verdict.backoff_s == 5.0
    limited = ProbeResult(
        "okx.ticker",
        "okx",
        "ticker",
        Outcome.RATE_LIMITED,
        0.0,
        0.0,
        0.01,
        0.0,
        0.0,
        backoff_s=verdict.backoff_s,
    )
    now, waits = 0.0, []
    for _ in range(8):
        assert feedback.admit("okx", "okx.ticker", now)
        waits.append(feedback.observe(limited, now, now))
        now += waits[-1] or 0.0
    assert waits == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
