"""The probes' Prometheus series, kept by their own bus subscriber: per endpoint a latency
histogram, outcome totals and the last result; per venue the request phases and the clock
offset its time endpoint measured. Counters only grow; /metrics reads them at scrape time
through the view."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.detect.catalogue import EndpointInfo
from monitor.detect.window import CODE, OUTCOMES
from monitor.exchanges import EndpointKind
from monitor.histogram import LATENCY_BUCKETS_S, Histogram
from monitor.models import Phases, ProbeResult

PHASES = ("dns", "connect", "server", "ttfb")


class EndpointSeries:
    __slots__ = ("endpoint", "endpoint_id", "kind", "last", "latency", "outcome_totals", "venue")

    def __init__(self, info: EndpointInfo) -> None:
        self.endpoint_id = info.endpoint_id
        self.venue = info.venue
        self.endpoint = info.endpoint
        self.kind = info.kind
        self.last: ProbeResult | None = None
        self.latency = Histogram(LATENCY_BUCKETS_S)  # every probe's duration
        self.outcome_totals = [0] * len(OUTCOMES)


class VenueSeries:
    __slots__ = ("clock_offset_s", "endpoints", "name", "phases")

    def __init__(self, name: str) -> None:
        self.name = name
        self.endpoints: list[EndpointSeries] = []
        self.clock_offset_s: float | None = None
        self.phases = {phase: Histogram(LATENCY_BUCKETS_S) for phase in PHASES}

    def record_phases(self, phases: Phases | None) -> None:
        if phases is None:
            return
        for name in PHASES:
            value = getattr(phases, f"{name}_s")
            if value is not None:
                self.phases[name].record(value)

    @property
    def rate_used_ratio(self) -> float | None:
        """The highest share of the venue's request limit its latest results report."""
        used = [
            e.last.rate_used_ratio
            for e in self.endpoints
            if e.last and e.last.rate_used_ratio is not None
        ]
        return max(used) if used else None


class ProbeSeries:
    """Series of the catalogued endpoints (in catalogue order); other results are ignored."""

    def __init__(self, catalogue: Iterable[EndpointInfo]) -> None:
        self.endpoints: dict[str, EndpointSeries] = {}
        self.venues: dict[str, VenueSeries] = {}
        for info in catalogue:
            venue = self.venues.get(info.venue)
            if venue is None:
                venue = self.venues[info.venue] = VenueSeries(info.venue)
            endpoint = self.endpoints[info.endpoint_id] = EndpointSeries(info)
            venue.endpoints.append(endpoint)

    def add(self, result: ProbeResult) -> None:
        endpoint = self.endpoints.get(result.endpoint_id)
        if endpoint is None:
            return
        endpoint.latency.record(result.latency_s)
        endpoint.outcome_totals[CODE[result.outcome]] += 1
        endpoint.last = result
        venue = self.venues[endpoint.venue]
        venue.record_phases(result.phases)
        if endpoint.kind is EndpointKind.TIME and result.clock_offset_s is not None:
            venue.clock_offset_s = result.clock_offset_s
