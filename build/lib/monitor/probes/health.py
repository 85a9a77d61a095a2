"""Self-health: the event loop's own lag, measured continuously by a fixed-rate ticker."""

from __future__ import annotations

from monitor.clock import Clock


class LoopLag:
    """The latest lag measurement and the worst since the last `take_max()`."""

    __slots__ = ("current_s", "max_s")

    def __init__(self) -> None:
        self.current_s = 0.0
        self.max_s = 0.0

    def record(self, lag_s: float) -> None:
        self.current_s = lag_s
        self.max_s = max(self.max_s, lag_s)

    def take_max(self) -> float:
        worst, self.max_s = self.max_s, 0.0
        return worst


async def loop_lag_ticker(clock: Clock, gauge: LoopLag, tick_s: float) -> None:
    """Wake every `tick_s`; how late each wake-up is, is the loop's lag."""
    due = clock.monotonic()
    while True:
        due += tick_s
        await clock.sleep_until(due)
        now = clock.monotonic()
        gauge.record(max(now - due, 0.0))
        if now - due > tick_s:
            due = now  # a stall: resynchronise instead of firing a burst of ticks
