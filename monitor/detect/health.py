"""Per-venue health summary, read on demand through the MonitorView by every surface."""

from __future__ import annotations

import dataclasses
import itertools
from array import array
from collections.abc import Sequence

from monitor.detect.detector import Detector
from monitor.detect.rules import Rule
from monitor.detect.spec import MONITOR
from monitor.detect.state import AlertState, Phase, fingerprint
from monitor.detect.tracker import VenueTracker
from monitor.detect.window import ERROR_OUTCOMES, WindowStats, quantile


@dataclasses.dataclass(frozen=True, slots=True)
class EndpointHealth:
    endpoint_id: str
    endpoint: str
    last_outcome: str | None
    last_latency_ms: float | None
    stats: WindowStats


@dataclasses.dataclass(frozen=True, slots=True)
class VenueHealth:
    venue: str
    state: str  # up | degraded | down | maintenance | unknown
    availability: float
    error_rate: float
    latency_mean_ms: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    clock_offset_ms: float | None
    rate_used_ratio: float | None
    firing: tuple[str, ...]  # fingerprints of announced (not muted) alerts on this venue
    endpoints: tuple[EndpointHealth, ...]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _failures(stats: list[WindowStats]) -> int:
    """Every failed probe in the windows (the ERROR_RATE rule leaves outage runs out; a
    summary shown to people must not)."""
    failed = {o.value for o in ERROR_OUTCOMES}
    return sum(n for s in stats for outcome, n in s.outcomes if outcome in failed)


def _state(venue: VenueTracker, firing_rules: set[str], network_down: bool) -> str:
    if not any(e.last for e in venue.endpoints):
        return "unknown"
    if Rule.MAINTENANCE in firing_rules:
        return "maintenance"
    if Rule.EXCHANGE_DOWN in firing_rules or network_down or venue.all_failing:
        return "down"
    # an announced maintenance is news, not a symptom: the venue is up until it starts
    return "degraded" if firing_rules - {Rule.MAINTENANCE_SCHEDULED} else "up"


def _latencies(venue: VenueTracker) -> array[float] | list[float]:
    """Every served latency in the venue's windows, sorted (a lone window already is)."""
    if len(venue.endpoints) == 1:
        return venue.endpoints[0].window.sorted_latencies()
    return sorted(
        itertools.chain.from_iterable(e.window.sorted_latencies() for e in venue.endpoints)
    )


def venue_health(
    venue: VenueTracker, firing: Sequence[AlertState], network_down: bool
) -> VenueHealth:
    """`firing`: the venue's firing alerts."""
    latencies = _latencies(venue)
    stats = [e.window.stats() for e in venue.endpoints]
    samples = sum(s.samples for s in stats)
    usage = [e.last.rate_used_ratio for e in venue.endpoints if e.last and e.last.rate_used_ratio]

    def ms(q: float) -> float | None:
        return round(quantile(latencies, q) * 1000, 2) if latencies else None

    return VenueHealth(
        venue=venue.name,
        state=_state(venue, {s.key[0] for s in firing}, network_down),
        availability=sum(s.availability * s.samples for s in stats) / samples if samples else 1.0,
        error_rate=_failures(stats) / samples if samples else 0.0,
        latency_mean_ms=round(sum(latencies) / len(latencies) * 1000, 2) if latencies else None,
        latency_p50_ms=ms(0.5),
        latency_p95_ms=ms(0.95),
        latency_p99_ms=ms(0.99),
        clock_offset_ms=_ms(venue.clock_offset_s),
        rate_used_ratio=max(usage) if usage else None,
        firing=tuple(sorted(fingerprint(s.key) for s in firing)),
        endpoints=tuple(
            EndpointHealth(
                e.endpoint_id,
                e.endpoint,
                e.last.outcome.value if e.last else None,
                round(e.last.latency_s * 1000, 2) if e.last else None,
                st,
            )
            for e, st in zip(venue.endpoints, stats, strict=True)
        ),
    )


def health(detector: Detector, venues: Sequence[VenueTracker] | None = None) -> list[VenueHealth]:
    """The summary of `venues` (default: every venue): one pass over the active alerts,
    none over any history."""
    firing: dict[str, list[AlertState]] = {}
    for state in detector.book.active():
        if state.phase is Phase.FIRING:
            firing.setdefault(state.key[1], []).append(state)
    network_down = detector.book.firing((Rule.LOCAL_NETWORK, MONITOR, None))
    chosen = detector.venues.values() if venues is None else venues
    return [venue_health(v, firing.get(v.name, ()), network_down) for v in chosen]
