"""The detector: consumes ProbeResults, evaluates the rule table, emits alert transitions.

Each result updates its endpoint and is evaluated at once against the table's rules for that
endpoint (`monitor.detect.ruleset`), global rules first, then its venue's, then its
endpoint's: an inhibiting alert (LOCAL_NETWORK, MAINTENANCE, EXCHANGE_DOWN) is firing before
the alerts it mutes are looked at, so one outage is one alert. A tick handles what is not
driven by results: the table's tick rules (the monitor's own health) and reminders.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

import orjson

from monitor.bus.base import Publisher, Subscription
from monitor.bus.records import topic_of
from monitor.clock import Clock
from monitor.detect.catalogue import EndpointInfo, ThresholdsLookup
from monitor.detect.restore import RestoredAlert, Restoring, scope_endpoints
from monitor.detect.rules import Finding, Rule
from monitor.detect.ruleset import RULES
from monitor.detect.silences import Silence, SilenceBook
from monitor.detect.spec import (
    MONITOR,
    AlertKey,
    OnResult,
    OnTick,
    ResultInput,
    RuleBook,
    RuleSpec,
    Scope,
    Symptom,
    TickInput,
)
from monitor.detect.state import AlertBook, AlertState, Phase
from monitor.detect.thresholds import DetectSettings, Thresholds
from monitor.detect.tracker import EndpointTracker, VenueTracker
from monitor.detect.window import Window
from monitor.exchanges import EndpointKind
from monitor.facts import Facts, probe_facts
from monitor.models import (
    UNKNOWN_ORIGIN,
    AlertEvent,
    Evidence,
    Origin,
    ProbeResult,
    SelfHealth,
)

log = logging.getLogger("monitor.detect")
RECENT_OUTCOMES = 10
RESULTS_TOPIC = topic_of(ProbeResult)
Planned = tuple[tuple[RuleSpec, OnResult, AlertKey], ...]  # an endpoint's rules, in order


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
        rules: RuleBook = RULES,
        restored: Iterable[RestoredAlert] = (),
    ) -> None:
        self._detect = detect
        self._clock = clock
        self._alerts = alerts
        self._origin = origin
        self._lag_max_s = 0.0  # worst loop lag reported since the last tick
        self._new_drops = 0  # results dropped by bus subscribers since the last tick
        self._drops_seen: dict[Origin, int] = {}
        self.book = AlertBook(detect, clock)
        wait_until_s = clock.monotonic() + detect.restore_wait_s
        self.restoring = Restoring(restored, rules, wait_until_s)  # until decided again
        self._ticks = 0
        self.silences = SilenceBook([Silence.from_settings(s) for s in detect.silences])
        self._global_thresholds = thresholds(None, None)
        self.venues: dict[str, VenueTracker] = {}
        self.endpoints: dict[str, EndpointTracker] = {}
        self._venue_thresholds = {}
        self._rules = rules
        self._inhibiting = frozenset(rules.inhibits())
        # wall time each inhibiting alert last ended: what was measured before is its doing
        self._lifted: dict[AlertKey, float] = {}
        self._planned: dict[str, Planned] = {}
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
                info.host,
            )
            venue.endpoints.append(tracker)
            self.endpoints[info.endpoint_id] = tracker
            self._planned[info.endpoint_id] = self._plan_rules(info)
        self._exchanges = [v for v in self.venues.values() if v.is_exchange]
        controls = (e for e in self.endpoints.values() if e.kind is EndpointKind.CONTROL)
        self._control = next(controls, None)
        self.cost = DetectorCost()
        self._unreliable_s = detect.unreliable_lag_ms / 1000
        self._degraded_key: AlertKey = (Rule.MONITOR_DEGRADED, MONITOR, None)

    def _plan_rules(self, info: EndpointInfo) -> Planned:
        return tuple(
            (spec, spec.evaluate, self._rules.key(spec, info.venue, info.endpoint))
            for spec in self._rules.for_endpoint(info.kind)
            if isinstance(spec.evaluate, OnResult)
        )

    def ingest(self, result: ProbeResult) -> None:
        ep = self.endpoints.get(result.endpoint_id)
        if ep is None:
            return
        trusted = self._trusted(result)
        ep.observe(result, self._clock.monotonic(), trusted)
        venue = self.venues[ep.venue]
        if ep.kind is EndpointKind.TIME and result.clock_offset_s is not None:
            venue.clock_offset_s = result.clock_offset_s
        elif ep.kind is EndpointKind.STATUS:
            venue.observe_status(result)
        self._evaluate(ep, venue, result)

    def _trusted(self, result: ProbeResult) -> bool:
        """Whether the monitor was healthy enough for this result to measure the target:
        the loop was on time when it ran, and MONITOR_DEGRADED is not firing. An untrusted
        result's latency and timeout are the monitor's own (see EndpointTracker.observe)."""
        lagged = max(result.sched_lag_s, result.loop_lag_s) > self._unreliable_s
        return not lagged and not self.book.firing(self._degraded_key)

    def _evaluate(self, ep: EndpointTracker, venue: VenueTracker, result: ProbeResult) -> None:
        """Every rule that reads this endpoint's results, in the order the table gives. A rule
        whose alert is not active is judged only on a result that shows its symptom."""
        seen = ResultInput(
            result,
            ep,
            venue,
            self._venue_thresholds[ep.venue],
            self._global_thresholds,
            self._exchanges,
            self._detect,
            self._clock.monotonic(),
            self.book.firing(self._degraded_key),
            self._control,
        )
        for spec, on, key in self._planned[ep.endpoint_id]:
            if on.ready is not None and not on.ready(seen):
                continue  # the rule cannot judge now: its alert stays as it is
            if on.trigger is not None and self.book.get(key) is None and not on.trigger(seen):
                continue
            self._step(spec, key, on.judge(seen), ep, seen)

    def observe_health(self, health: SelfHealth) -> None:
        """Take in one SelfHealth record; the next `tick` judges what they add up to. Drop
        counts run since each instance's start: only their growth is new."""
        self._lag_max_s = max(self._lag_max_s, health.loop_lag_s)
        dropped = health.dropped(RESULTS_TOPIC)
        seen = self._drops_seen.get(health.origin, 0)
        self._new_drops += dropped - seen if dropped >= seen else dropped  # else: it restarted
        self._drops_seen[health.origin] = dropped

    def tick(self) -> None:
        """Self-health and reminders; call every `detect.tick_s`."""
        seen = self._health()
        for spec in self._rules.on_tick:
            if isinstance(spec.evaluate, OnTick):
                key = self._rules.key(spec, MONITOR, None)
                self._step(spec, key, spec.evaluate.judge(seen), None, None)
        for event in self.book.reminders(self._state_evidence):
            self._emit(event)
        self._ticks += 1
        for held in self.restoring.due(self._clock.monotonic(), self._fresh):
            log.info("restored_alert_resolved", extra={"fingerprint": held.event.fingerprint})
            self._emit(self.book.resolve_restored(held))

    def _fresh(self, spec: RuleSpec, key: AlertKey) -> tuple[int, Thresholds] | None:
        """What `Restoring.due` counts: fresh results (ticks for a tick rule) since start."""
        if isinstance(spec.evaluate, OnTick):
            return self._ticks, self._global_thresholds
        found = scope_endpoints(spec, key, self.venues, self._exchanges)
        if not found:
            return None
        if spec.scope is Scope.ENDPOINT:
            thresholds = found[0].thresholds
        elif spec.scope is Scope.VENUE:
            thresholds = self._venue_thresholds[key[1]]
        else:
            thresholds = self._global_thresholds
        return min(e.results for e in found), thresholds

    def _emit(self, event: AlertEvent) -> None:
        self._alerts.publish(dataclasses.replace(event, origin=self._origin))

    def _health(self) -> TickInput:
        lag_s, self._lag_max_s = self._lag_max_s, 0.0
        new_drops, self._new_drops = self._new_drops, 0
        return TickInput(lag_s, new_drops, self._detect, self._global_thresholds)

    def _muted(self, key: AlertKey, started_wall_s: float | None) -> bool:
        """Inhibited by a firing alert, or by one that ended after the probe behind this
        evaluation started (`started_wall_s`): a probe sent during an incident and answered
        after it reports the incident, so its alerts end quietly; only a condition a later
        probe confirms is announced. Or silenced."""
        rule, venue, endpoint = key
        for source in self._rules.inhibitors[rule]:
            source_key = self._rules.key(source, venue, endpoint)
            if self._mutes_now(source, source_key):
                return True
            lifted_s = self._lifted.get(source_key)
            if lifted_s is not None and started_wall_s is not None and started_wall_s < lifted_s:
                return True
        return self.silences.covers(rule, venue, endpoint, self._clock.wall())

    def _mutes_now(self, source: RuleSpec, key: AlertKey) -> bool:
        """Whether the alert `key` of `source` mutes now: firing, and inside its window when
        its Mutes has one (an announced maintenance silences only within its times)."""
        state = self.book.get(key)
        if state is None or state.phase is not Phase.FIRING:
            return False
        when = source.inhibits.when
        return when is None or when(state.facts, self._clock.wall())

    def _step(
        self,
        spec: RuleSpec,
        key: AlertKey,
        symptom: Symptom | None,
        ep: EndpointTracker | None,
        seen: ResultInput | None,
    ) -> None:
        if self.book.get(key) is None:
            if symptom is None:
                return  # the common case: nothing to do, and no evidence to build
            held = self.restoring.claim(key)
            if held is not None:  # found again after a restart: the same alert goes on
                log.info("restored_alert_adopted", extra={"fingerprint": held.event.fingerprint})
                self.book.adopt(held)
        finding = None
        if symptom is not None:
            t = self._global_thresholds if seen is None else seen.thresholds(spec.scope)
            severity = symptom.severity or spec.severity(t)
            finding = Finding(
                spec.name, severity, symptom.summary, symptom.facts, symptom.for_count
            )
        started_s = None if seen is None else seen.result.started_wall_s
        was_firing = self.book.firing(key)
        muted = self._muted(key, started_s)
        event = self.book.step(key, finding, muted, lambda: self._evidence(finding, ep))
        if was_firing and spec.name in self._inhibiting and self.book.get(key) is None:
            self._lifted[key] = self._clock.wall()
        if event is not None:
            self._emit(event)

    def _evidence(self, finding: Finding | None, ep: EndpointTracker | None) -> Evidence:
        if ep is None:
            return Evidence({}, facts=finding.facts if finding else Facts())
        facts = Facts() if ep.last is None else probe_facts(ep.last)
        if finding is not None:
            facts = facts.merged(finding.facts)
        # JSON-native values only: evidence is stored in the outbox and read back unchanged.
        window: dict[str, Any] = orjson.loads(orjson.dumps(ep.window.stats()))
        recent = ep.window.recent_outcomes(RECENT_OUTCOMES)
        return Evidence(window, recent, tuple(ep.recent_errors), facts)

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
