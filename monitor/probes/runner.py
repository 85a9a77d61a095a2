"""probe_loop: the fixed-rate schedule of one endpoint.

Probe k is due at start + k * interval, whatever the previous probes cost: the schedule
never drifts. A tick whose due time has passed when the previous probe ends is skipped and
counted, never bunched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Protocol

from aiolimiter import AsyncLimiter

from monitor.bus.base import Publisher
from monitor.clock import Clock
from monitor.histogram import Histogram
from monitor.models import ProbeResult
from monitor.probes.base import ProbeContext
from monitor.probes.feedback import VenueFeedback
from monitor.probes.health import LoopLag
from monitor.probes.plan import ProbePlan
from monitor.tasks import Task


class Probe(Protocol):
    @property
    def plan(self) -> ProbePlan: ...

    async def run(
        self, scheduled_s: float, sched_lag_s: float, loop_lag_s: float
    ) -> ProbeResult: ...


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


def next_tick(start: float, interval_s: float, k: int, now: float) -> int:
    """The index of the first tick at or after `now`, and never before `k`."""
    if now <= start + k * interval_s:
        return k
    return max(k, math.ceil((now - start) / interval_s - 1e-9))


async def probe_loop(
    probe: Probe,
    clock: Clock,
    gate: Gate,
    results: Publisher,
    lag: LoopLag,
    stats: ScheduleStats,
    feedback: VenueFeedback,
) -> None:
    plan = probe.plan
    interval = plan.interval_s
    venue_limiter = gate.venue_limiters.get(plan.venue)
    start = clock.monotonic() + plan.offset_s
    k = 0
    while True:
        due = start + k * interval
        await clock.sleep_until(due)
        if not feedback.admit(plan.venue, plan.endpoint_id, clock.monotonic()):
            stats.held_ticks += 1  # probing a venue that said "stop" gets bans escalated
        else:
            await gate.global_limiter.acquire()
            if venue_limiter is not None:
                await venue_limiter.acquire(plan.weight)
            async with gate.in_flight:
                result = await probe.run(due, clock.monotonic() - due, lag.current_s)
            away_s = feedback.observe(result, clock.monotonic(), clock.wall())
            if away_s is not None:  # the alert tells when the venue is asked again
                result = dataclasses.replace(result, next_probe_s=round(away_s, 1))
            results.publish(result)
            stats.probes += 1
            stats.sched_lag.record(result.sched_lag_s)
            stats.latency.record(result.latency_s)
        following = next_tick(start, interval, k + 1, clock.monotonic())
        stats.missed_ticks += following - (k + 1)
        k = following


def scheduled_tasks(
    entries: Sequence[ProbePlan], ctx: ProbeContext, make: Callable[[ProbePlan], Probe]
) -> list[Task]:
    """One fixed-rate `probe_loop` per entry, each running the probe `make` gives it."""
    return [
        (
            f"probe:{p.endpoint_id}",
            functools.partial(
                probe_loop, make(p), ctx.clock, ctx.gate, ctx.bus, ctx.lag, ctx.stats, ctx.feedback
            ),
        )
        for p in entries
    ]
