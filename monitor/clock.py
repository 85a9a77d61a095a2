"""The only module that touches time. Everything else receives a `Clock`."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic time for durations and schedules, wall time for timestamps."""

    def monotonic(self) -> float:
        """High-resolution monotonic seconds; only differences are meaningful."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    async def sleep(self, delay_s: float) -> None:
        """Suspend for `delay_s` seconds (no-op when `delay_s <= 0` except a yield)."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Suspend until `monotonic()` reaches `deadline`."""
        ...


class SystemClock:
    """The real clock. `monotonic` is `perf_counter`: CLOCK_MONOTONIC at ns resolution."""

    __slots__ = ()

    def monotonic(self) -> float:
        return time.perf_counter()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, delay_s: float) -> None:
        await asyncio.sleep(max(delay_s, 0.0))

    async def sleep_until(self, deadline: float) -> None:
        await asyncio.sleep(max(deadline - time.perf_counter(), 0.0))


async def pass_turn() -> None:
    """Let the other tasks run before going on: a yield to the event loop, no time waited
    (the same on every clock, real or fake)."""
    await asyncio.sleep(0)
