"""The `MonitorView` of a running monitor, built by app.py (part of the composition root: the
only module besides app.py that reads the stages' state). Every snapshot is taken in one
pass over bounded state (trackers, the alert book, counters); the past is read from the
SQLite history in its own thread, aggregated there, so no answer grows with the history and
the event loop never walks it."""

from __future__ import annotations

import dataclasses
import itertools
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from monitor.bus.base import Subscription
from monitor.clock import Clock, pass_turn
from monitor.detect.detector import Detector
from monitor.detect.health import VenueHealth, health
from monitor.detect.silences import Silence
from monitor.detect.state import Phase, fingerprint
from monitor.detect.window import OUTCOMES
from monitor.histogram import Histogram
from monitor.models import AlertEvent, ProbeResult, Severity
from monitor.notify.notifier import Notifier
from monitor.probes.health import LoopLag
from monitor.probes.runner import ScheduleStats
from monitor.store.alert_state import AlertStateStore
from monitor.store.history import History
from monitor.store.rollups import MINUTE_S, Rollup
from monitor.store.series import EndpointSeries, ProbeSeries, VenueSeries
from monitor.supervise import Faults
from monitor.triage.budget import Budget
from monitor.view import (
    ActiveAlert,
    Buckets,
    Counts,
    DeliveryMetrics,
    EndpointMetrics,
    EndpointState,
    LlmMetrics,
    MetricsSnapshot,
    SelfStats,
    SeriesPage,
    VenueMetrics,
)

T = TypeVar("T")
R = TypeVar("R")
SLICE = 50  # venues or endpoints read between two turns of the event loop


async def _sliced(items: Sequence[T], read: Callable[[Sequence[T]], Iterable[R]]) -> tuple[R, ...]:
    """`read` over `items` a slice at a time, letting the loop run between slices: a
    snapshot of thousands of endpoints never stalls the probes for long."""
    out: list[R] = []
    for start in range(0, len(items), SLICE):
        out.extend(read(items[start : start + SLICE]))
        await pass_turn()
    return tuple(out)


def _buckets(histogram: Histogram) -> Buckets:
    return tuple(histogram.cumulative())


def _counts(histogram: Histogram) -> Counts:
    return Counts(tuple(histogram.bounds), tuple(histogram.counts))


def _endpoint_metrics(endpoints: Sequence[EndpointSeries]) -> Iterator[EndpointMetrics]:
    for e in endpoints:
        outcomes = zip(OUTCOMES, e.outcome_totals, strict=True)
        yield EndpointMetrics(
            e.venue,
            e.endpoint,
            _buckets(e.latency),
            e.latency.total,
            tuple((o.value, n) for o, n in outcomes if n),
            e.last,
        )


def _venue_metrics(venues: Sequence[VenueSeries]) -> Iterator[VenueMetrics]:
    for venue in venues:
        phases = tuple((name, _buckets(h), h.total) for name, h in venue.phases.items())
        yield VenueMetrics(venue.name, phases, venue.clock_offset_s, venue.rate_used_ratio)


@dataclasses.dataclass(frozen=True, slots=True)
class LiveView:
    """Reads the stages of one process; commands act on the detector's silence book (and
    are made durable in the alert state store before they are answered)."""

    detector: Detector
    probes: ProbeSeries  # what /metrics exposes of the probes, fed by its own subscriber
    notifier: Notifier
    stats: ScheduleStats
    lag: LoopLag
    results: Subscription[ProbeResult]  # the detector's
    history: History
    clock: Clock
    listening: dict[str, int]
    faults: Faults
    alert_state: AlertStateStore | None = None

    async def status(self) -> tuple[VenueHealth, ...]:
        venues = list(self.detector.venues.values())
        return await _sliced(venues, lambda some: health(self.detector, some))

    async def alerts(self) -> tuple[ActiveAlert, ...]:
        return tuple(
            ActiveAlert(
                fingerprint(s.key),
                s.severity.value,
                s.summary,
                s.phase.value,
                s.announced,
                s.flapping,
                s.started_at_s,
            )
            for s in self.detector.book.active()
        ) + tuple(
            ActiveAlert(
                e.fingerprint,
                e.severity.value,
                e.summary,
                "restored",
                True,
                e.flapping,
                e.started_at_s,
            )
            for e in (held.event for held in self.detector.restoring.held())
        )

    async def incidents(self, limit: int) -> tuple[AlertEvent, ...]:
        return tuple(itertools.islice(reversed(self.notifier.recent), limit))

    async def endpoints(self) -> tuple[EndpointState, ...]:
        return await _sliced(
            list(self.detector.endpoints.values()),
            lambda some: (
                EndpointState(e.endpoint_id, e.venue, e.last, e.window.stats()) for e in some
            ),
        )

    async def series(self, endpoint_id: str, since_s: float, limit: int) -> SeriesPage | None:
        if endpoint_id not in self.detector.endpoints:
            return None
        minutes = await self.history.series(endpoint_id, since_s, limit)
        more = len(minutes) == limit
        return SeriesPage(
            endpoint_id, tuple(minutes), minutes[-1].minute_s + MINUTE_S if more else None
        )

    async def charts(
        self, endpoint_ids: tuple[str, ...], since_s: float, points: int
    ) -> Mapping[str, tuple[Rollup, ...]]:
        span_s = max(self.clock.wall() - since_s, MINUTE_S)
        bucket_s = max(MINUTE_S, math.ceil(span_s / points))
        merged = await self.history.buckets(endpoint_ids, since_s, bucket_s, points)
        return {endpoint_id: tuple(rollups) for endpoint_id, rollups in merged.items()}

    async def self_stats(self) -> SelfStats:
        stats = self.stats
        return SelfStats(
            endpoints=len(self.detector.endpoints),
            probes=stats.probes,
            missed_ticks=stats.missed_ticks,
            held_ticks=stats.held_ticks,
            dropped=self.results.dropped,
            queue_depth=self.results.qsize(),
            loop_lag_s=self.lag.current_s,
            detecting=any(e.last is not None for e in self.detector.endpoints.values()),
            detector_us_per_result=self.detector.cost.us_per_result,
            sched_lag=_counts(stats.sched_lag),
            latency=_counts(stats.latency),
            listening=dict(self.listening),
            deliveries=await self._deliveries(),
            surface_faults=dict(self.faults.counts),
        )

    async def _deliveries(self) -> tuple[DeliveryMetrics, ...]:
        backlog = await self.notifier.backlog()
        return tuple(
            DeliveryMetrics(name, c.stats.sent, c.stats.failed, c.stats.dead, *backlog[name])
            for name, c in self.notifier.channels.items()
        )

    async def metrics(self) -> MetricsSnapshot:
        firing = dict.fromkeys((s.value for s in Severity), 0)
        for state in self.detector.book.active():
            if state.phase is Phase.FIRING and state.announced:
                firing[state.severity.value] += 1
        triage = self.notifier.triage
        return MetricsSnapshot(
            endpoints=await _sliced(list(self.probes.endpoints.values()), _endpoint_metrics),
            venues=await _sliced(list(self.probes.venues.values()), _venue_metrics),
            firing_by_severity=firing,
            llm=llm_metrics(triage.budget) if triage else (),
            self_stats=await self.self_stats(),
        )

    async def silences(self) -> tuple[Silence, ...]:
        return self.detector.silences.in_force(self.clock.wall())

    async def add_silence(self, silence: Silence) -> str:
        silence = dataclasses.replace(silence, id=silence.id or uuid.uuid4().hex)
        self.detector.silences.add(silence)
        if self.alert_state is not None:
            await self.alert_state.add_silence(silence)
        return silence.id

    async def expire_silence(self, silence_id: str) -> bool:
        removed = self.detector.silences.remove(silence_id)
        if removed and self.alert_state is not None:
            await self.alert_state.remove_silence(silence_id)
        return removed


def llm_metrics(budget: Budget) -> tuple[LlmMetrics, ...]:
    """The budget's counts (every call, failed or not) as the metrics report them."""
    return tuple(
        LlmMetrics(
            model,
            step,
            u.calls,
            tuple(sorted(u.failures.items())),
            u.prompt_tokens,
            u.completion_tokens,
            u.cost_usd,
        )
        for (model, step), u in budget.usage.items()
    )
