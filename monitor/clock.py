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


class Alarm:
    """A nap on a `Clock` that `ring()` ends at once (an `asyncio.Event` with a timeout, in
    clock time). A ring while the owner is awake makes its next nap return immediately."""

    __slots__ = ("_clock", "_nap", "rung")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._nap: asyncio.Future[None] | None = None
        self.rung = False

    def ring(self) -> None:
        self.rung = True
        if self._nap is not None:
            self._nap.cancel()  # cancels the clock's sleep now: no sleeper is left behind

    async def nap(self, delay_s: float) -> None:
        """Sleep up to `delay_s`, less if rung; then the alarm is reset."""
        if not self.rung:
            self._nap = asyncio.ensure_future(self._clock.sleep(delay_s))
            try:
                await asyncio.wait((self._nap,))
            finally:
                self._nap.cancel()
                self._nap = None
        self.rung = False
