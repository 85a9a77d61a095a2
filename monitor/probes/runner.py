"""probe_loop: the fixed-rate schedule of one endpoint.

Probe k is due at start + k * interval, whatever the previous probes cost: the schedule
never drifts. A tick whose due time has passed when the previous probe ends is skipped and
counted, never bunched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from typing import Protocol

from aiolimiter import AsyncLimiter

from monitor.clock import Clock
from monitor.models import Outcome, ProbeResult
from monitor.probes.health import LoopLag
from monitor.probes.histogram import Histogram
from monitor.probes.plan import ProbePlan
from monitor.queues import DropOldestQueue


class Probe(Protocol):
    @property
    def plan(self) -> ProbePlan: ...

    async def run(
        self, scheduled_s: float, sched_lag_s: float, loop_lag_s: float
    ) -> ProbeResult: ...


MAX_HOLD_S = 3600.0


@dataclasses.dataclass(slots=True)
class ScheduleStats:
    """Counters shared by every probe task."""

    probes: int = 0
    missed_ticks: int = 0
    held_ticks: int = 0  # skipped because the venue asked us to back off
    sched_lag: Histogram = dataclasses.field(default_factory=Histogram)
    latency: Histogram = dataclasses.field(default_factory=Histogram)  # all probes, fine-grained


@dataclasses.dataclass(frozen=True, slots=True)
class Gate:
    """What every probe passes before it starts: the global rate, its venue's budget, and
    the in-flight cap."""

    global_limiter: AsyncLimiter
    venue_limiters: dict[str, AsyncLimiter]
    in_flight: asyncio.Semaphore
    holds: dict[str, float] = dataclasses.field(default_factory=dict)  # venue -> monotonic end
    offsets: dict[str, float] = dataclasses.field(default_factory=dict)  # venue -> clock offset


def hold_s(result: ProbeResult, now_wall_s: float) -> float | None:
    """How long a rate-limited venue asked us to stay away (Retry-After, or a ban's end)."""
    if result.outcome is not Outcome.RATE_LIMITED:
        return None
    waits = [result.retry_after_s or 0.0]
    if result.ban_until_s is not None:
        waits.append(result.ban_until_s - now_wall_s)
    wait = max(waits)
    return min(wait, MAX_HOLD_S) if wait > 0 else None


def next_tick(start: float, interval_s: float, k: int, now: float) -> int:
    """The index of the first tick at or after `now`, and never before `k`."""
    if now <= start + k * interval_s:
        return k
    return max(k, math.ceil((now - start) / interval_s - 1e-9))


async def probe_loop(
    probe: Probe,
    clock: Clock,
    gate: Gate,
    results: DropOldestQueue[ProbeResult],
    lag: LoopLag,
    stats: ScheduleStats,
) -> None:
    plan = probe.plan
    interval = plan.interval_s
    venue_limiter = gate.venue_limiters.get(plan.venue)
    start = clock.monotonic() + plan.offset_s
    k = 0
    while True:
        due = start + k * interval
        await clock.sleep_until(due)
        if clock.monotonic() < gate.holds.get(plan.venue, 0.0):
            stats.held_ticks += 1  # probing a venue that said "stop" gets bans escalated
        else:
            await gate.global_limiter.acquire()
            if venue_limiter is not None:
                await venue_limiter.acquire(plan.weight)
            async with gate.in_flight:
                result = await probe.run(due, clock.monotonic() - due, lag.current_s)
            results.put(result)
            stats.probes += 1
            stats.sched_lag.record(result.sched_lag_s)
            stats.latency.record(result.latency_s)
            if result.clock_offset_s is not None:  # signed probes sign on the venue's time
                gate.offsets[plan.venue] = result.clock_offset_s
            wait = hold_s(result, clock.wall())
            if wait is not None:
                until = clock.monotonic() + wait
                gate.holds[plan.venue] = max(until, gate.holds.get(plan.venue, 0.0))
        following = next_tick(start, interval, k + 1, clock.monotonic())
        stats.missed_ticks += following - (k + 1)
        k = following
