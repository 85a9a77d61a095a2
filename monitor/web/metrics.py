"""Prometheus exposition of a `MetricsSnapshot` taken through the view at scrape time (nothing
is counted twice on the hot path); formatting it is pure, so it runs off the event loop.
Labels: venue, endpoint, phase, outcome, severity, channel, model: bounded by the
configuration, never by traffic."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from monitor.view import Buckets, LlmMetrics, MetricsSnapshot

PREFIX = "exchange_monitor"


def _buckets(buckets: Buckets) -> list[tuple[str, float]]:
    return [(le, float(count)) for le, count in buckets]


class SnapshotCollector(Collector):
    """Yields the families of one snapshot."""

    def __init__(self, snapshot: MetricsSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        yield from self._probes()
        yield from self._venues()
        yield from self._self_health()
        yield from self._alerts()
        yield from self._notifications()
        yield from self._llm()

    def _probes(self) -> Iterator[Metric]:
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
        for ep in self._snapshot.endpoints:
            labels = [ep.venue, ep.endpoint]
            duration.add_metric(labels, _buckets(ep.latency), ep.latency_sum_s)
            for outcome, total in ep.outcomes:
                outcomes.add_metric([*labels, outcome], total)
            last = ep.last
            if last is not None:
                success.add_metric(labels, 1.0 if last.outcome.is_success else 0.0)
                if last.data_time_s is not None:
                    age.add_metric(labels, max(last.started_wall_s - last.data_time_s, 0.0))
        yield from (duration, outcomes, success, age)

    def _venues(self) -> Iterator[Metric]:
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
        for venue in self._snapshot.venues:
            for name, buckets, total in venue.phases:
                phases.add_metric([venue.venue, name], _buckets(buckets), total)
            if venue.clock_offset_s is not None:
                offset.add_metric([venue.venue], venue.clock_offset_s)
            if venue.rate_used_ratio is not None:
                usage.add_metric([venue.venue], venue.rate_used_ratio)
        yield from (phases, offset, usage)

    def _self_health(self) -> Iterator[Metric]:
        me = self._snapshot.self_stats
        yield GaugeMetricFamily(
            f"{PREFIX}_event_loop_lag_seconds", "Event-loop lag, latest.", value=me.loop_lag_s
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_results_queue_depth",
            "Results awaiting the detector.",
            value=me.queue_depth,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_results_dropped", "Results dropped: queue full.", value=me.dropped
        )
        yield CounterMetricFamily(
            f"{PREFIX}_missed_ticks",
            "Probe ticks skipped: still busy.",
            value=me.missed_ticks,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_held_ticks",
            "Probe ticks skipped: venue back-off.",
            value=me.held_ticks,
        )
        faults = CounterMetricFamily(
            f"{PREFIX}_surface_faults",
            "Faults of a surface (web, history, influx), each followed by a restart.",
            labels=["surface"],
        )
        for surface, count in me.surface_faults.items():
            faults.add_metric([surface], count)
        yield faults

    def _alerts(self) -> Iterator[Metric]:
        firing = GaugeMetricFamily(
            f"{PREFIX}_alerts_firing", "Announced alerts firing.", labels=["severity"]
        )
        for severity, count in self._snapshot.firing_by_severity.items():
            firing.add_metric([severity], count)
        yield firing

    def _notifications(self) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            f"{PREFIX}_notifications", "Notification deliveries.", labels=["channel", "result"]
        )
        pending = GaugeMetricFamily(
            f"{PREFIX}_notifications_pending",
            "Notifications waiting in the outbox.",
            labels=["channel"],
        )
        oldest = GaugeMetricFamily(
            f"{PREFIX}_notifications_oldest_pending_age_seconds",
            "Age of the oldest notification waiting in the outbox (0 when none).",
            labels=["channel"],
        )
        for d in self._snapshot.self_stats.deliveries:
            for result, value in (
                ("sent", d.sent),
                ("failed", d.failed),
                ("dead_lettered", d.dead_lettered),
            ):
                sent.add_metric([d.channel, result], value)
            pending.add_metric([d.channel], d.pending)
            oldest.add_metric([d.channel], d.oldest_pending_age_s)
        yield from (sent, pending, oldest)

    def _llm(self) -> Iterator[Metric]:
        yield from llm_families(self._snapshot.llm)


def llm_families(llm: tuple[LlmMetrics, ...]) -> Iterator[Metric]:
    """Calls, failures by reason, tokens and cost per model and step."""
    step = ["model", "step"]
    calls = CounterMetricFamily(f"{PREFIX}_llm_calls", "LLM HTTP calls.", labels=step)
    failures = CounterMetricFamily(
        f"{PREFIX}_llm_failures",
        "LLM steps that fell back, by reason.",
        labels=[*step, "reason"],
    )
    tokens = CounterMetricFamily(
        f"{PREFIX}_llm_tokens", "LLM tokens reported by every answer.", labels=[*step, "kind"]
    )
    cost = CounterMetricFamily(f"{PREFIX}_llm_cost_usd", "LLM cost (price table).", labels=step)
    for usage in llm:
        labels = [usage.model, usage.step]
        calls.add_metric(labels, usage.calls)
        for reason, count in usage.failures:
            failures.add_metric([*labels, reason], count)
        tokens.add_metric([*labels, "prompt"], usage.prompt_tokens)
        tokens.add_metric([*labels, "completion"], usage.completion_tokens)
        cost.add_metric(labels, usage.cost_usd)
    yield from (calls, failures, tokens, cost)


def exposition(snapshot: MetricsSnapshot) -> bytes:
    """The text exposition format of one snapshot (pure: safe in a worker thread)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return generate_latest(registry)
