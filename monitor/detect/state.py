"""Alert lifecycle: pending -> firing -> resolved, with hysteresis, flap damping, severity
updates, reminders and muting (silences, maintenance windows, inhibition).

A muted alert still moves through its states, but tells nobody: if it was never announced,
it is announced (FIRING) as soon as it is no longer muted; if it was, its RESOLVED still goes
out, so no receiver is left with an alert that never ends.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
from collections.abc import Callable, Iterator

from monitor.clock import Clock
from monitor.detect.restore import RestoredAlert
from monitor.detect.rules import Finding
from monitor.detect.spec import AlertKey
from monitor.detect.thresholds import DetectSettings
from monitor.facts import Facts
from monitor.models import AlertEvent, AlertKind, Evidence, Severity


def fingerprint(key: AlertKey) -> str:
    rule, venue, endpoint = key
    return f"{rule}/{venue}" + (f"/{endpoint}" if endpoint else "")


class Phase(enum.Enum):
    PENDING = "pending"
    FIRING = "firing"


@dataclasses.dataclass(slots=True)
class AlertState:
    key: AlertKey
    phase: Phase
    severity: Severity
    summary: str
    hits: int = 0  # consecutive evaluations with the condition
    misses: int = 0  # consecutive evaluations without it
    started_at_s: float = 0.0  # wall clock, when it began firing
    last_hit_s: float = 0.0  # monotonic
    last_sent_s: float = 0.0  # wall clock of the last event told
    announced: bool = False
    flapping: bool = False
    evidence: Evidence | None = None
    facts: Facts = dataclasses.field(default_factory=Facts)  # the last finding's


class AlertBook:
    """Every active alert, by key. `step()` is the whole state machine for one evaluation."""

    def __init__(self, settings: DetectSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._alerts: dict[AlertKey, AlertState] = {}
        self._fires: dict[AlertKey, collections.deque[float]] = {}

    def firing(self, key: AlertKey) -> bool:
        state = self._alerts.get(key)
        return state is not None and state.phase is Phase.FIRING

    def active(self) -> Iterator[AlertState]:
        return iter(list(self._alerts.values()))

    def get(self, key: AlertKey) -> AlertState | None:
        return self._alerts.get(key)

    def step(
        self, key: AlertKey, finding: Finding | None, muted: bool, evidence: Callable[[], Evidence]
    ) -> AlertEvent | None:
        """Apply one evaluation of the rule behind `key`; return the event to tell, if any."""
        state = self._alerts.get(key)
        if finding is None:
            return None if state is None else self._miss(state, evidence)
        if state is None:
            state = AlertState(key, Phase.PENDING, finding.severity, finding.summary)
            self._alerts[key] = state
        state.hits += 1
        state.misses = 0
        state.summary = finding.summary
        state.facts = finding.facts
        state.last_hit_s = self._clock.monotonic()
        if state.phase is Phase.PENDING:
            if state.hits < finding.for_count:
                return None
            state.phase = Phase.FIRING
            state.started_at_s = self._clock.wall()
            self._record_fire(key)
        if muted:
            state.severity = finding.severity
            return None
        if not state.announced:
            state.announced = True
            state.severity = finding.severity
            return self._event(state, AlertKind.FIRING, evidence())
        if finding.severity is not state.severity:
            previous, state.severity = state.severity, finding.severity
            return self._event(state, AlertKind.UPDATED, evidence(), previous)
        return None

    def reminders(self, evidence: Callable[[AlertState], Evidence]) -> list[AlertEvent]:
        repeat = self._settings.repeat_interval_s
        if not repeat:
            return []
        now = self._clock.wall()
        return [
            self._event(s, AlertKind.REMINDER, evidence(s))
            for s in self.active()
            if s.announced and s.phase is Phase.FIRING and now - s.last_sent_s >= repeat
        ]

    def _miss(self, state: AlertState, evidence: Callable[[], Evidence]) -> AlertEvent | None:
        state.hits = 0
        if state.phase is Phase.PENDING:
            del self._alerts[state.key]
            return None
        state.misses += 1
        if state.misses < self._settings.resolve_after:
            return None
        if state.flapping:
            if self._clock.monotonic() - state.last_hit_s < self._settings.flap_quiet_s:
                return None
        elif self._would_flap(state.key):
            state.flapping = True
            if not state.announced:
                return None
            return self._event(state, AlertKind.UPDATED, evidence())
        del self._alerts[state.key]
        if not state.announced:
            return None
        lasted_s = self._clock.wall() - state.started_at_s
        state.summary = f"recovered after {lasted_s:.0f} s; was: {state.summary}"
        return self._event(state, AlertKind.RESOLVED, evidence())

    def adopt(self, restored: RestoredAlert) -> None:
        """Put back an alert restored after a start and re-confirmed since: firing and
        announced as it was (start time, severity, flapping, flap history)."""
        state = self._restored(restored)
        state.last_hit_s = self._clock.monotonic()
        self._alerts[state.key] = state

    def resolve_restored(self, restored: RestoredAlert) -> AlertEvent:
        """The RESOLVED of an alert restored after a start that its rule did not find again
        on fresh results: it cleared while the monitor was stopped."""
        state = self._restored(restored)
        state.summary = f"not found again after a restart; was: {state.summary}"
        return self._event(state, AlertKind.RESOLVED, state.evidence or Evidence({}))

    def _restored(self, restored: RestoredAlert) -> AlertState:
        event = restored.event
        offset_s = self._clock.monotonic() - self._clock.wall()
        fires = sorted(at_s + offset_s for at_s in restored.fires_at_s)
        self._fires[restored.key] = collections.deque(fires)
        return AlertState(
            restored.key,
            Phase.FIRING,
            event.severity,
            event.summary,
            started_at_s=event.started_at_s,
            last_sent_s=event.at_s,
            announced=True,
            flapping=event.flapping,
            evidence=event.evidence,
        )

    def _record_fire(self, key: AlertKey) -> None:
        fires = self._fires.setdefault(key, collections.deque())
        fires.append(self._clock.monotonic())

    def _would_flap(self, key: AlertKey) -> bool:
        """Resolving now would make more than flap_max_toggles changes within flap_window_s
        (each fire and each resolution is one change)."""
        fires = self._fires.get(key)
        if not fires:
            return False
        horizon = self._clock.monotonic() - self._settings.flap_window_s
        while fires and fires[0] < horizon:
            fires.popleft()
        return 2 * len(fires) > self._settings.flap_max_toggles

    def _event(
        self,
        state: AlertState,
        kind: AlertKind,
        evidence: Evidence,
        previous: Severity | None = None,
    ) -> AlertEvent:
        now = self._clock.wall()
        state.last_sent_s = now
        state.evidence = evidence
        rule, venue, endpoint = state.key
        return AlertEvent(
            kind=kind,
            fingerprint=fingerprint(state.key),
            rule=str(rule),
            severity=state.severity,
            venue=venue,
            endpoint=endpoint,
            summary=state.summary,
            started_at_s=state.started_at_s,
            at_s=now,
            evidence=evidence,
            flapping=state.flapping,
            previous_severity=previous,
        )
