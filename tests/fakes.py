"""Hand-written fakes for our seams (no unittest.mock on our own classes)."""

from __future__ import annotations

import asyncio
import heapq
import itertools

from monitor.models import Outcome, ProbeResult
from monitor.probes.plan import ProbePlan


class FakeClock:
    """Virtual time: it moves only when a test calls `run_for` / `shift`.

    `run_for(duration, sleepers=n)` wakes sleepers in deadline order and, after each wake-up,
    waits until `n` tasks sleep again: exact synchronisation, no real sleeps.
    """

    def __init__(self, start_s: float = 1000.0, wall_start_s: float = 1_750_000_000.0) -> None:
        self._now = start_s
        self._wall_offset = wall_start_s - start_s
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()

    def monotonic(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now + self._wall_offset

    async def sleep(self, delay_s: float) -> None:
        await self.sleep_until(self._now + delay_s)

    async def sleep_until(self, deadline: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (deadline, next(self._seq), future))
        self._changed.set()
        await future

    def shift(self, seconds: float) -> None:
        """Move time without waking anyone (for code that only reads the clock)."""
        self._now += seconds

    def sleeping(self) -> int:
        return sum(1 for _, _, f in self._heap if not f.done())

    async def wait_sleepers(self, count: int) -> None:
        while self.sleeping() < count:
            self._changed.clear()
            await self._changed.wait()

    async def run_for(self, duration_s: float, sleepers: int) -> None:
        """Advance by `duration_s`, waking every deadline strictly before the end."""
        end = self._now + duration_s
        await self.wait_sleepers(sleepers)
        while self._heap and self._heap[0][0] < end:
            deadline, _, future = heapq.heappop(self._heap)
            if future.done():
                continue
            self._now = max(self._now, deadline)
            future.set_result(None)
            await self.wait_sleepers(sleepers)
        self._now = end


class InstantProbe:
    """A probe that answers OK at once, or after `cost_s` of virtual time."""

    def __init__(self, plan: ProbePlan, clock: FakeClock, cost_s: float = 0.0) -> None:
        self._plan = plan
        self._clock = clock
        self._cost_s = cost_s
        self.starts: list[float] = []

    @property
    def plan(self) -> ProbePlan:
        return self._plan

    async def run(self, scheduled_s: float, sched_lag_s: float, loop_lag_s: float) -> ProbeResult:
        self.starts.append(self._clock.monotonic())
        if self._cost_s:
            await self._clock.sleep(self._cost_s)
        return ProbeResult(
            self._plan.endpoint_id,
            self._plan.venue,
            self._plan.endpoint,
            Outcome.OK,
            scheduled_s,
            self._clock.wall(),
            self._cost_s,
            sched_lag_s,
            loop_lag_s,
        )
