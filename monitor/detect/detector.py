"""The detector: consumes ProbeResults, evaluates rules, emits alert transitions.

Each result updates its endpoint and is evaluated at once, global rules first, then its
venue's, then its endpoint's: an inhibiting alert (LOCAL_NETWORK, MAINTENANCE, EXCHANGE_DOWN)
is firing before the alerts it mutes are looked at, so one outage is one alert. A tick handles
what is not driven by results: the monitor's own health and reminders.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from monitor.bus.base import Publisher, Subscription
from monitor.bus.records import topic_of
from monitor.clock import Clock
from monitor.detect import rules as r
from monitor.detect.catalogue import EndpointInfo, ThresholdsLookup
from monitor.detect.rules import INHIBITS, RESTRICTED_STATUSES, STREAK_RULES, Finding, Rule
from monitor.detect.silences import Silence, SilenceBook
from monitor.detect.state import AlertBook, AlertKey, AlertState
from monitor.detect.thresholds import DetectSettings
from monitor.detect.tracker import NETWORK_OUTCOMES, EndpointTracker, VenueTracker
from monitor.detect.window import ERROR_OUTCOMES, Window
from monitor.exchanges import EndpointKind
from monitor.models import (
    UNKNOWN_ORIGIN,
    AlertEvent,
    Evidence,
    Origin,
    Outcome,
    ProbeResult,
    SelfHealth,
    Severity,
)
from monitor.store.rollups import Rollups

MONITOR = "monitor"  # the venue label of the monitor's own alerts
VENUE_RULES = frozenset(
    {Rule.EXCHANGE_DOWN, Rule.MAINTENANCE, Rule.RATE_LIMITED, Rule.RATE_LIMIT_BUDGET}
)
GLOBAL_RULES = frozenset({Rule.LOCAL_NETWORK, Rule.MONITOR_DEGRADED})
RESTRICTED_OUTCOMES = frozenset({Outcome.MAINTENANCE, Outcome.DEGRADED})
RECENT_OUTCOMES = 10
RESULTS_TOPIC = topic_of(ProbeResult)


def scope_key(rule: Rule, venue: str, endpoint: str | None) -> AlertKey:
    if rule in GLOBAL_RULES:
        return (rule, MONITOR, None)
    if rule in VENUE_RULES:
        return (rule, venue, None)
    return (rule, venue, endpoint)


class Detector:
    """Stage 2. Synchronous core (`ingest`, `tick`) driven by two small coroutines."""

    def __init__(
        self,
        detect: DetectSettings,
        catalogue: Iterable[EndpointInfo],
        thresholds: ThresholdsLookup,
        clock: Clock,
        alerts: Publisher,
        origin: Origin = UNKNOWN_ORIGIN,
    ) -> None:
        self._detect = detect
        self._clock = clock
        self._alerts = alerts
        self._origin = origin
        self._lag_max_s = 0.0  # worst loop lag reported since the last tick
        self._new_drops = 0  # results dropped by bus subscribers since the last tick
        self._drops_seen: dict[Origin, int] = {}
        self.book = AlertBook(detect, clock)
        self.silences = SilenceBook([Silence.from_settings(s) for s in detect.silences])
        self._global_thresholds = thresholds(None, None)
        self.venues: dict[str, VenueTracker] = {}
        self.endpoints: dict[str, EndpointTracker] = {}
        self._venue_thresholds = {}
        self._keys: dict[str, dict[Rule, AlertKey]] = {}
        for info in catalogue:
            venue = self.venues.get(info.venue)
            if venue is None:
                venue = VenueTracker(info.venue, info.is_exchange, info.signing_window_ms)
                self.venues[info.venue] = venue
                self._venue_thresholds[info.venue] = thresholds(info.venue, None)
            window = Window(detect.window_max_samples, detect.window_max_age_s)
            tracker = EndpointTracker(
                info.endpoint_id,
                info.venue,
                info.endpoint,
                info.kind,
                thresholds(info.venue, info.endpoint),
                window,
                detect.recent_errors,
            )
            venue.endpoints.append(tracker)
            self.endpoints[info.endpoint_id] = tracker
            self._keys[info.endpoint_id] = {
                rule: scope_key(rule, info.venue, info.endpoint) for rule in Rule
            }
        self._exchanges = [v for v in self.venues.values() if v.is_exchange]
        self.rollups = Rollups()
        self.cost = DetectorCost()
        self.taps: list[Callable[[ProbeResult], None]] = []  # e.g. the raw-point exporter
        self._unreliable_s = detect.unreliable_lag_ms / 1000

    def ingest(self, result: ProbeResult) -> None:
        ep = self.endpoints.get(result.endpoint_id)
        if ep is None:
            return
        trusted = max(result.sched_lag_s, result.loop_lag_s) <= self._unreliable_s
        ep.observe(result, self._clock.monotonic(), trusted)
        venue = self.venues[ep.venue]
        venue.record_phases(result.phases)
        self.rollups.add(result)
        for tap in self.taps:
            tap(result)
        if ep.kind is EndpointKind.TIME and result.clock_offset_s is not None:
            venue.clock_offset_s = result.clock_offset_s
        self._evaluate_venue(venue, ep, result)
        self._evaluate_endpoint(ep, venue)

    def _evaluate_venue(
        self, venue: VenueTracker, ep: EndpointTracker, result: ProbeResult
    ) -> None:
        """Global and venue rules. Each can only start firing on a result that shows its
        symptom; otherwise it is evaluated only while its alert is active (to resolve it)."""
        keys = self._keys[ep.endpoint_id]
        t = self._venue_thresholds[ep.venue]
        outcome = result.outcome
        if outcome in NETWORK_OUTCOMES or self.book.get(keys[Rule.LOCAL_NETWORK]):
            found = r.local_network(
                self._exchanges,
                self._global_thresholds,
                self._detect.local_network_ratio,
                self._detect.local_network_min_venues,
            )
            self._step(keys[Rule.LOCAL_NETWORK], found, ep)
        restricted = outcome in RESTRICTED_OUTCOMES or result.venue_status in RESTRICTED_STATUSES
        if restricted or self.book.get(keys[Rule.MAINTENANCE]):
            self._step(keys[Rule.MAINTENANCE], r.maintenance(venue, t), ep)
        if outcome in ERROR_OUTCOMES or self.book.get(keys[Rule.EXCHANGE_DOWN]):
            self._step(keys[Rule.EXCHANGE_DOWN], r.exchange_down(venue, t), ep)
        if outcome is Outcome.RATE_LIMITED or self.book.get(keys[Rule.RATE_LIMITED]):
            self._step(keys[Rule.RATE_LIMITED], r.rate_limited(venue, t), ep)
        heavy = (result.rate_used_ratio or 0.0) >= t.rate_budget_ratio
        if heavy or self.book.get(keys[Rule.RATE_LIMIT_BUDGET]):
            self._step(keys[Rule.RATE_LIMIT_BUDGET], r.rate_budget(venue, t), ep)

    def _evaluate_endpoint(self, ep: EndpointTracker, venue: VenueTracker) -> None:
        keys = self._keys[ep.endpoint_id]
        found = r.streak(ep)
        for rule in STREAK_RULES:
            self._step(keys[rule], found if found is not None and found.rule is rule else None, ep)
        if ep.streak == 0:  # a run of failures may be an outage: the streak rules judge it
            self._step(keys[Rule.ERROR_RATE], r.error_rate(ep), ep)
        if not self.book.firing(keys[Rule.MONITOR_DEGRADED]):  # else latency is untrusted
            self._step(keys[Rule.HIGH_LATENCY], r.high_latency(ep), ep)
            self._step(keys[Rule.LATENCY_SPIKE], r.latency_spike(ep), ep)
        if ep.kind is EndpointKind.ACCOUNT:
            self._step(keys[Rule.AUTH_FAILURE], r.auth_failure(ep), ep)
            self._step(keys[Rule.KEY_PERMISSIONS], r.key_permissions(ep), ep)
        if ep.kind in (EndpointKind.TIME, EndpointKind.ACCOUNT):
            self._step(keys[Rule.CLOCK_DRIFT], r.clock_drift(ep, venue), ep)
        elif ep.kind is EndpointKind.MARKET:
            self._step(keys[Rule.STALE_DATA], r.stale_data(ep, venue, self._clock.monotonic()), ep)

    def observe_health(self, health: SelfHealth) -> None:
        """Take in one SelfHealth record; the next `tick` judges what they add up to. Drop
        counts run since each instance's start: only their growth is new."""
        self._lag_max_s = max(self._lag_max_s, health.loop_lag_s)
        dropped = health.dropped(RESULTS_TOPIC)
        seen = self._drops_seen.get(health.origin, 0)
        self._new_drops += dropped - seen if dropped >= seen else dropped  # else: it restarted
        self._drops_seen[health.origin] = dropped

    def tick(self) -> None:
        """Self-health, reminders, and closing quiet minutes; call every `detect.tick_s`."""
        self.rollups.close_before(self._clock.wall())
        self._step(scope_key(Rule.MONITOR_DEGRADED, MONITOR, None), self._degraded(), None)
        for event in self.book.reminders(self._state_evidence):
            self._emit(event)

    def _emit(self, event: AlertEvent) -> None:
        self._alerts.publish(dataclasses.replace(event, origin=self._origin))

    def _degraded(self) -> Finding | None:
        lag_s, self._lag_max_s = self._lag_max_s, 0.0
        new_drops, self._new_drops = self._new_drops, 0
        facts = {"loop_lag_ms": round(lag_s * 1000, 1), "dropped_results": new_drops}
        if lag_s * 1000 > self._detect.degraded_lag_ms:
            summary = f"monitor event loop lagging {lag_s * 1000:.0f} ms: latency rules suspended"
            return Finding(Rule.MONITOR_DEGRADED, Severity.HIGH, summary, facts)
        if new_drops > 0:
            summary = f"monitor dropped {new_drops} probe results: detection is behind"
            return Finding(Rule.MONITOR_DEGRADED, Severity.HIGH, summary, facts)
        return None

    def _muted(self, key: AlertKey) -> bool:
        rule, venue, endpoint = key
        for source, targets in INHIBITS.items():
            if rule in targets and self.book.firing(scope_key(source, venue, endpoint)):
                return True
        return self.silences.covers(rule, venue, endpoint, self._clock.wall())

    def _step(self, key: AlertKey, finding: Finding | None, ep: EndpointTracker | None) -> None:
        if finding is None and self.book.get(key) is None:
            return  # the common case: nothing to do, and no evidence to build
        event = self.book.step(key, finding, self._muted(key), lambda: self._evidence(finding, ep))
        if event is not None:
            self._emit(event)

    def _evidence(self, finding: Finding | None, ep: EndpointTracker | None) -> Evidence:
        facts: dict[str, Any] = {}
        if ep is None:
            return Evidence({}, facts=dict(finding.facts) if finding else {})
        last = ep.last
        if last is not None:
            facts.update(_result_facts(last))
        if finding is not None:
            facts.update(finding.facts)
        # JSON-native values only: evidence is stored in the outbox and read back unchanged.
        window: dict[str, Any] = orjson.loads(orjson.dumps(ep.window.stats()))
        return Evidence(
            window, ep.window.recent_outcomes(RECENT_OUTCOMES), tuple(ep.recent_errors), facts
        )

    def _state_evidence(self, state: AlertState) -> Evidence:
        return state.evidence or Evidence({})


class DetectorCost:
    """Time spent ingesting results, for /api/v1/self and the benchmark."""

    __slots__ = ("results", "seconds")

    def __init__(self) -> None:
        self.results = 0
        self.seconds = 0.0

    def record(self, seconds: float, results: int) -> None:
        self.seconds += seconds
        self.results += results

    @property
    def us_per_result(self) -> float | None:
        return self.seconds / self.results * 1e6 if self.results else None


def _result_facts(last: ProbeResult) -> dict[str, Any]:
    values = {
        "endpoint_id": last.endpoint_id,
        "last_outcome": last.outcome.value,
        "status": last.status,
        "latency_ms": round(last.latency_s * 1000, 1),
        "clock_offset_ms": None
        if last.clock_offset_s is None
        else round(last.clock_offset_s * 1000, 1),
        "rate_used_ratio": last.rate_used_ratio,
        "retry_after_s": last.retry_after_s,
        "ban_until_s": last.ban_until_s,
        "venue_status": last.venue_status,
    }
    return {k: v for k, v in values.items() if v is not None}


async def detector_loop(
    detector: Detector, results: Subscription[ProbeResult], clock: Clock
) -> None:
    """Consume results; measure the detector's own cost per result as it goes."""
    while True:
        first = await results.get()
        started, count = clock.monotonic(), 1
        detector.ingest(first)
        while results.qsize():  # drain what is already there without yielding per item
            detector.ingest(results.get_nowait())
            count += 1
        detector.cost.record(clock.monotonic() - started, count)


async def detector_ticker(
    detector: Detector, health: Subscription[SelfHealth], clock: Clock, tick_s: float
) -> None:
    """Every `tick_s`: take in the SelfHealth records published since, then tick."""
    due = clock.monotonic()
    while True:
        due += tick_s
        await clock.sleep_until(due)
        while health.qsize():
            detector.observe_health(health.get_nowait())
        detector.tick()
