"""Prometheus exposition, collected at scrape time from the stages' own state (nothing is
counted twice on the hot path). Labels: venue, endpoint, phase, outcome, severity, channel,
model: bounded by the configuration, never by traffic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from monitor.detect.state import Phase
from monitor.detect.window import OUTCOMES
from monitor.models import Severity
from monitor.probes.histogram import Histogram

if TYPE_CHECKING:
    from monitor.app import Runtime

PREFIX = "exchange_monitor"


def _buckets(histogram: Histogram) -> list[tuple[str, float]]:
    return [(le, float(count)) for le, count in histogram.cumulative()]


class RuntimeCollector(Collector):
    """Reads a running app.Runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Metric]:
        yield from self._probes()
        yield from self._venues()
        yield from self._self_health()
        yield from self._alerts()
        yield from self._notifications()
        yield from self._llm()

    def _probes(self) -> Iterator[Metric]:
        detector = self._runtime.detector
        duration = HistogramMetricFamily(
            f"{PREFIX}_probe_duration_seconds",
            "Probe duration, request to body read.",
            labels=["venue", "endpoint"],
        )
        outcomes = CounterMetricFamily(
            f"{PREFIX}_probes", "Probes by outcome.", labels=["venue", "endpoint", "outcome"]
        )
        success = GaugeMetricFamily(
            f"{PREFIX}_probe_success",
            "1 if the last probe succeeded.",
            labels=["venue", "endpoint"],
        )
        age = GaugeMetricFamily(
            f"{PREFIX}_data_age_seconds",
            "Age of the last market data.",
            labels=["venue", "endpoint"],
        )
        for ep in detector.endpoints.values():
            labels = [ep.venue, ep.endpoint]
            duration.add_metric(labels, _buckets(ep.latency), ep.latency.total)
            for outcome, total in zip(OUTCOMES, ep.outcome_totals, strict=True):
                if total:
                    outcomes.add_metric([*labels, outcome.value], total)
            last = ep.last
            if last is not None:
                success.add_metric(labels, 1.0 if last.outcome.is_success else 0.0)
                if last.data_time_s is not None:
                    age.add_metric(labels, max(last.started_wall_s - last.data_time_s, 0.0))
        yield from (duration, outcomes, success, age)

    def _venues(self) -> Iterator[Metric]:
        detector = self._runtime.detector
        phases = HistogramMetricFamily(
            f"{PREFIX}_probe_phase_seconds",
            "Request phases: dns, connect (TCP and TLS), server, ttfb.",
            labels=["venue", "phase"],
        )
        offset = GaugeMetricFamily(
            f"{PREFIX}_clock_offset_seconds",
            "Venue clock minus ours, from its time endpoint.",
            labels=["venue"],
        )
        usage = GaugeMetricFamily(
            f"{PREFIX}_rate_limit_usage_ratio",
            "Share of the venue's request limit in use.",
            labels=["venue"],
        )
        for venue in detector.venues.values():
            for name, histogram in venue.phases.items():
                phases.add_metric([venue.name, name], _buckets(histogram), histogram.total)
            if venue.clock_offset_s is not None:
                offset.add_metric([venue.name], venue.clock_offset_s)
            used = [
                e.last.rate_used_ratio
                for e in venue.endpoints
                if e.last and e.last.rate_used_ratio is not None
            ]
            if used:
                usage.add_metric([venue.name], max(used))
        yield from (phases, offset, usage)

    def _self_health(self) -> Iterator[Metric]:
        rt = self._runtime
        yield GaugeMetricFamily(
            f"{PREFIX}_event_loop_lag_seconds", "Event-loop lag, latest.", value=rt.lag.current_s
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_results_queue_depth",
            "Results awaiting the detector.",
            value=rt.results.qsize(),
        )
        yield CounterMetricFamily(
            f"{PREFIX}_results_dropped", "Results dropped: queue full.", value=rt.results.dropped
        )
        yield CounterMetricFamily(
            f"{PREFIX}_missed_ticks",
            "Probe ticks skipped: still busy.",
            value=rt.stats.missed_ticks,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_held_ticks",
            "Probe ticks skipped: venue back-off.",
            value=rt.stats.held_ticks,
        )

    def _alerts(self) -> Iterator[Metric]:
        firing = GaugeMetricFamily(
            f"{PREFIX}_alerts_firing", "Announced alerts firing.", labels=["severity"]
        )
        counts = dict.fromkeys(Severity, 0)
        for state in self._runtime.detector.book.active():
            if state.phase is Phase.FIRING and state.announced:
                counts[state.severity] += 1
        for severity, count in counts.items():
            firing.add_metric([severity.value], count)
        yield firing

    def _notifications(self) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            f"{PREFIX}_notifications", "Notification deliveries.", labels=["channel", "result"]
        )
        for name, channel in self._runtime.notifier.channels.items():
            stats = channel.stats
            for result, value in (
                ("sent", stats.sent),
                ("failed", stats.failed),
                ("dead_lettered", stats.dead),
            ):
                sent.add_metric([name, result], value)
        yield sent

    def _llm(self) -> Iterator[Metric]:
        triage = self._runtime.notifier.triage
        calls = CounterMetricFamily(f"{PREFIX}_llm_calls", "LLM calls.", labels=["model"])
        failures = CounterMetricFamily(
            f"{PREFIX}_llm_failures", "LLM steps that fell back.", labels=["model"]
        )
        tokens = CounterMetricFamily(
            f"{PREFIX}_llm_tokens", "LLM tokens.", labels=["model", "kind"]
        )
        cost = CounterMetricFamily(
            f"{PREFIX}_llm_cost_usd", "LLM cost (price table).", labels=["model"]
        )
        for model, usage in triage.budget.usage.items() if triage else ():
            calls.add_metric([model], usage.calls)
            failures.add_metric([model], usage.failures)
            tokens.add_metric([model, "prompt"], usage.prompt_tokens)
            tokens.add_metric([model, "completion"], usage.completion_tokens)
            cost.add_metric([model], usage.cost_usd)
        yield from (calls, failures, tokens, cost)


def registry_for(runtime: Runtime) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RuntimeCollector(runtime))
    return registry
