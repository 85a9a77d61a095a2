"""Self-health: the event loop's own lag, measured continuously by a fixed-rate ticker that
publishes a `SelfHealth` record at every tick."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.bus.base import Bus
from monitor.clock import Clock
from monitor.models import Origin, SelfHealth, SubscriberDrops

if TYPE_CHECKING:
    from monitor.probes.runner import ScheduleStats


class LoopLag:
    """The latest lag measurement, stamped by the probes on each result (within stage 1)."""

    __slots__ = ("current_s",)

    def __init__(self) -> None:
        self.current_s = 0.0


class SelfHealthReporter:
    """Builds one `SelfHealth` from the schedule counters and the bus's drop counts."""

    __slots__ = ("_bus", "_clock", "_origin", "_stats")

    def __init__(self, origin: Origin, clock: Clock, stats: ScheduleStats, bus: Bus) -> None:
        self._origin = origin
        self._clock = clock
        self._stats = stats
        self._bus = bus

    def report(self, lag_s: float) -> None:
        stats = self._stats
        drops = tuple(
            SubscriberDrops(name, topic, n) for (name, topic), n in self._bus.drops().items()
        )
        self._bus.publish(
            SelfHealth(
                self._origin,
                self._clock.wall(),
                lag_s,
                stats.probes,
                stats.missed_ticks,
                stats.held_ticks,
                drops,
            )
        )


async def loop_lag_ticker(
    clock: Clock, gauge: LoopLag, tick_s: float, reporter: SelfHealthReporter
) -> None:
    """Wake every `tick_s`; how late each wake-up is, is the loop's lag."""
    due = clock.monotonic()
    while True:
        due += tick_s
        await clock.sleep_until(due)
        now = clock.monotonic()
        gauge.current_s = max(now - due, 0.0)
        reporter.report(gauge.current_s)
        if now - due > tick_s:
            due = now  # a stall: resynchronise instead of firing a burst of ticks
