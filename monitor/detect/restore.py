"""Alerts restored at start, held until their rule can decide them from fresh results.

An alert that was firing (and announced) when the monitor stopped comes back from the state
store as a `RestoredAlert`. It is not put back into the alert book as true, since nothing
measured since the start says it still is: it is held here until either
- its rule finds the condition again (`claim`): the detector adopts it silently, with its
  old start time, and no second FIRING goes out; or
- its rule has had the fresh results it needs to decide (its `decides_after`, counted on
  every endpoint of the alert's scope, or on ticks for a tick rule) without finding it, or
  `restore_wait_s` has passed since the start (`due`): the detector resolves it, once.
An alert whose rule or endpoints are gone is due at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence

from monitor.detect.spec import AlertKey, OnResult, RuleBook, RuleSpec, Scope
from monitor.detect.thresholds import Thresholds
from monitor.detect.tracker import EndpointTracker, VenueTracker
from monitor.models import AlertEvent


@dataclasses.dataclass(frozen=True, slots=True)
class RestoredAlert:
    """What the store kept of a firing alert: the last event told of it, and when it fired
    within the flap window (wall clock), for flap damping."""

    event: AlertEvent
    fires_at_s: tuple[float, ...] = ()

    @property
    def key(self) -> AlertKey:
        return (self.event.rule, self.event.venue, self.event.endpoint)


# (rule, alert key) -> the fewest fresh results any endpoint of the key's scope has delivered
# since the start (ticks, for a tick rule) and the thresholds in force there; None when the
# monitor no longer probes anything of that scope.
FreshCount = Callable[[RuleSpec, AlertKey], tuple[int, Thresholds] | None]


class Restoring:
    """The restored alerts not yet decided, by key."""

    def __init__(
        self, restored: Iterable[RestoredAlert], rules: RuleBook, deadline_s: float
    ) -> None:
        self._held = {alert.key: alert for alert in restored}
        self._rules = rules
        self._deadline_s = deadline_s  # monotonic: start + restore_wait_s

    def held(self) -> tuple[RestoredAlert, ...]:
        return tuple(self._held.values())

    def claim(self, key: AlertKey) -> RestoredAlert | None:
        """The held alert of `key`, now re-confirmed: it leaves the hold (to be adopted)."""
        return self._held.pop(key, None) if self._held else None

    def due(self, now_s: float, fresh: FreshCount) -> list[RestoredAlert]:
        """The held alerts that can be decided by now without having been re-confirmed: they
        leave the hold (to be resolved)."""
        if not self._held:
            return []
        out = [
            alert
            for key, alert in self._held.items()
            if now_s >= self._deadline_s or self._decidable(key, fresh)
        ]
        for alert in out:
            del self._held[alert.key]
        return out

    def _decidable(self, key: AlertKey, fresh: FreshCount) -> bool:
        spec = self._rules.get(key[0])
        if spec is None:
            return True  # the rule is gone: nothing will ever confirm it
        seen = fresh(spec, key)
        if seen is None:
            return True
        count, thresholds = seen
        return count >= spec.decides_after(thresholds)


def scope_endpoints(
    spec: RuleSpec,
    key: AlertKey,
    venues: Mapping[str, VenueTracker],
    exchanges: Sequence[VenueTracker],
) -> list[EndpointTracker]:
    """The endpoints whose results decide the alert of `key`: its own endpoint, or the
    public endpoints (or those of the kinds the rule reads) of its venue, or of every
    exchange for a global rule."""
    _, venue, endpoint = key
    pool = exchanges if spec.scope is Scope.GLOBAL else [venues[venue]] if venue in venues else []
    kinds = spec.evaluate.kinds if isinstance(spec.evaluate, OnResult) else None
    if spec.scope is Scope.ENDPOINT:
        return [e for v in pool for e in v.endpoints if e.endpoint == endpoint]
    if kinds is None:
        return [e for v in pool for e in v.public]
    return [e for v in pool for e in v.endpoints if e.kind in kinds]
