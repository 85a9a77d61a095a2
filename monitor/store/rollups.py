"""Per-endpoint, per-minute rollups: count, errors, P50/P95/P99/max latency. Fed one result at
a time (an append), closed once a minute (a sort of at most a minute's samples) and handed to
the history; only the open minute is held in memory."""

from __future__ import annotations

import dataclasses

from monitor.detect.window import ERROR_OUTCOMES, quantile
from monitor.models import ProbeResult

MINUTE_S = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class Rollup:
    minute_s: float  # wall-clock start of the minute
    count: int
    errors: int
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    max_s: float | None


@dataclasses.dataclass(slots=True)
class _Open:
    minute_s: float
    latencies: list[float]
    count: int = 0
    errors: int = 0

    def close(self) -> Rollup:
        ordered = sorted(self.latencies)
        has = bool(ordered)
        return Rollup(
            self.minute_s,
            self.count,
            self.errors,
            quantile(ordered, 0.5) if has else None,
            quantile(ordered, 0.95) if has else None,
            quantile(ordered, 0.99) if has else None,
            ordered[-1] if has else None,
        )


class Rollups:
    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}
        self._oldest_open_s = float("inf")  # no scan before this minute has ended
        self.unsaved: list[tuple[str, Rollup]] = []  # closed since the history last took them

    def add(self, result: ProbeResult) -> None:
        minute = result.started_wall_s // MINUTE_S * MINUTE_S
        current = self._open.get(result.endpoint_id)
        if current is None or current.minute_s != minute:
            if current is not None:
                self._keep(result.endpoint_id, current.close())
            current = self._open[result.endpoint_id] = _Open(minute, [])
            self._oldest_open_s = min(self._oldest_open_s, minute)
        current.count += 1
        if result.outcome in ERROR_OUTCOMES:
            current.errors += 1
        elif result.outcome.is_success:
            current.latencies.append(result.latency_s)

    def close_before(self, wall_s: float) -> None:
        """Close every minute that ended before `wall_s` (endpoints that went quiet). Cheap
        unless a minute has just ended: the scan runs once a minute, not once a tick."""
        if wall_s < self._oldest_open_s + MINUTE_S:
            return
        self._oldest_open_s = float("inf")
        for endpoint_id, current in list(self._open.items()):
            if current.minute_s + MINUTE_S <= wall_s:
                self._keep(endpoint_id, current.close())
                del self._open[endpoint_id]
            else:
                self._oldest_open_s = min(self._oldest_open_s, current.minute_s)

    def _keep(self, endpoint_id: str, rollup: Rollup) -> None:
        self.unsaved.append((endpoint_id, rollup))

    def take_unsaved(self) -> list[tuple[str, Rollup]]:
        taken, self.unsaved = self.unsaved, []
        return taken
