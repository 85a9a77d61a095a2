"""The port the surfaces read: web, console, dashboard and the metrics exposition ask a
`MonitorView` for snapshots and send it commands (silences); they never reach into a stage.
`app.py` provides the implementation. Every answer is a frozen record whose size is bounded
by the configuration or by an explicit limit, never by the length of the history."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol

from monitor.detect.health import VenueHealth
from monitor.detect.silences import Silence
from monitor.detect.window import WindowStats
from monitor.models import AlertEvent, ProbeResult
from monitor.store.rollups import Rollup

Buckets = tuple[tuple[str, int], ...]  # (le, cumulative count), +Inf last


@dataclasses.dataclass(frozen=True, slots=True)
class ActiveAlert:
    fingerprint: str
    severity: str
    summary: str
    phase: str  # pending | firing | restored (kept across a restart, not yet decided again)
    announced: bool
    flapping: bool
    started_at_s: float


@dataclasses.dataclass(frozen=True, slots=True)
class EndpointState:
    """One endpoint as the console draws it: its latest result and its window."""

    endpoint_id: str
    venue: str
    last: ProbeResult | None
    stats: WindowStats


@dataclasses.dataclass(frozen=True, slots=True)
class Counts:
    """A histogram's bounds and per-bucket counts (the last bucket is +Inf)."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryMetrics:
    """One channel's deliveries, and what waits for it in the outbox now."""

    channel: str
    sent: int
    failed: int
    dead_lettered: int
    pending: int
    oldest_pending_age_s: float  # 0 when nothing waits


@dataclasses.dataclass(frozen=True, slots=True)
class SelfStats:
    """The monitor's own figures (what /api/v1/self and the benchmark read)."""

    endpoints: int
    probes: int
    missed_ticks: int
    held_ticks: int
    dropped: int
    queue_depth: int
    loop_lag_s: float
    detecting: bool  # some endpoint has a result already
    detector_us_per_result: float | None
    sched_lag: Counts
    latency: Counts
    listening: Mapping[str, int]  # surface -> port
    deliveries: tuple[DeliveryMetrics, ...]  # per channel
    surface_faults: Mapping[str, int]  # surface -> faults (each one restarted it)


@dataclasses.dataclass(frozen=True, slots=True)
class EndpointMetrics:
    venue: str
    endpoint: str
    latency: Buckets
    latency_sum_s: float
    outcomes: tuple[tuple[str, int], ...]  # outcome -> total, non-zero only
    last: ProbeResult | None


@dataclasses.dataclass(frozen=True, slots=True)
class VenueMetrics:
    venue: str
    phases: tuple[tuple[str, Buckets, float], ...]  # phase, buckets, sum
    clock_offset_s: float | None
    rate_used_ratio: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class LlmMetrics:
    model: str
    step: str  # classify | analyze
    calls: int  # HTTP calls
    failures: tuple[tuple[str, int], ...]  # failed steps by reason
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


@dataclasses.dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    endpoints: tuple[EndpointMetrics, ...]
    venues: tuple[VenueMetrics, ...]
    firing_by_severity: Mapping[str, int]  # announced firing alerts
    llm: tuple[LlmMetrics, ...]
    self_stats: SelfStats


@dataclasses.dataclass(frozen=True, slots=True)
class SeriesPage:
    """Per-minute rollups of one endpoint, oldest first; `next_since_s` continues the page."""

    endpoint_id: str
    minutes: tuple[Rollup, ...]
    next_since_s: float | None


class MonitorView(Protocol):
    """What a surface may read, and the commands it may send."""

    async def status(self) -> tuple[VenueHealth, ...]: ...

    async def alerts(self) -> tuple[ActiveAlert, ...]: ...

    async def incidents(self, limit: int) -> tuple[AlertEvent, ...]:
        """The latest alert events, newest first."""
        ...

    async def endpoints(self) -> tuple[EndpointState, ...]: ...

    async def series(self, endpoint_id: str, since_s: float, limit: int) -> SeriesPage | None:
        """Up to `limit` minutes from `since_s`; None for an unknown endpoint."""
        ...

    async def charts(
        self, endpoint_ids: tuple[str, ...], since_s: float, points: int
    ) -> Mapping[str, tuple[Rollup, ...]]:
        """Each endpoint's rollups since `since_s`, merged into at most `points` buckets."""
        ...

    async def self_stats(self) -> SelfStats: ...

    async def metrics(self) -> MetricsSnapshot: ...

    async def silences(self) -> tuple[Silence, ...]: ...

    async def add_silence(self, silence: Silence) -> str:
        """Put a silence in force; returns its id."""
        ...

    async def expire_silence(self, silence_id: str) -> bool:
        """End a silence now; False if there was none with that id."""
        ...
