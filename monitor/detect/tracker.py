"""Mutable per-endpoint and per-venue state the rules read. Updated once per result."""

from __future__ import annotations

import collections

from monitor.detect.thresholds import Thresholds
from monitor.detect.window import ERROR_OUTCOMES, Window
from monitor.exchanges import EndpointKind
from monitor.models import Outcome, ProbeResult

NETWORK_OUTCOMES = frozenset({Outcome.TIMEOUT, Outcome.CONNECT_ERROR})
# probed once a minute or so: their last result is too old to judge a venue outage by
SLOW_KINDS = frozenset({EndpointKind.ACCOUNT, EndpointKind.SYMBOL})
# classify_failure's details for a connection never made (not one dropped mid-answer)
CONNECT_FAILURES = frozenset({"dns", "refused", "unreachable", "connect"})


class EndpointTracker:
    """One endpoint: its window, failure streak, staleness counters and last result."""

    __slots__ = (
        "endpoint",
        "endpoint_id",
        "frozen_count",
        "frozen_since_s",
        "host",
        "kind",
        "last",
        "recent_errors",
        "results",
        "streak",
        "streak_kind",
        "thresholds",
        "venue",
        "window",
    )

    def __init__(
        self,
        endpoint_id: str,
        venue: str,
        endpoint: str,
        kind: EndpointKind,
        thresholds: Thresholds,
        window: Window,
        recent_errors: int,
        host: str = "",
    ) -> None:
        self.endpoint_id = endpoint_id
        self.host = host
        self.venue = venue
        self.endpoint = endpoint
        self.kind = kind
        self.thresholds = thresholds
        self.window = window
        self.last: ProbeResult | None = None
        self.results = 0  # results observed since start
        self.streak = 0  # consecutive error outcomes
        self.streak_kind: Outcome | None = None  # their outcome if all alike, else None
        self.frozen_count = 0  # consecutive results repeating the same market data
        self.frozen_since_s = 0.0  # monotonic time the current market data was first seen
        self.recent_errors: collections.deque[str] = collections.deque(maxlen=recent_errors)

    @property
    def failing(self) -> bool:
        return self.last is not None and self.last.outcome in ERROR_OUTCOMES

    @property
    def network_failing(self) -> bool:
        return self.last is not None and self.last.outcome in NETWORK_OUTCOMES

    @property
    def connect_failing(self) -> bool:
        """The last probe could not connect at all: DNS, refused, unreachable."""
        last = self.last
        return (
            last is not None
            and last.outcome is Outcome.CONNECT_ERROR
            and (last.detail in CONNECT_FAILURES)
        )

    def observe(self, result: ProbeResult, now: float, trusted: bool) -> None:
        """Track one result. An untrusted one (measured while the monitor itself lagged)
        gives no latency, and its timeout stays out of the error rate: our stall, not the
        target's. It still counts in the failure streak, so a real outage still alerts."""
        outcome = result.outcome
        latency = result.latency_s if trusted and outcome.is_success else None
        self.window.add(now, outcome, latency, trusted or outcome is not Outcome.TIMEOUT)
        self.results += 1
        if outcome in ERROR_OUTCOMES:
            self.streak += 1
            if self.streak == 1:
                self.streak_kind = outcome
            elif self.streak_kind is not outcome:
                self.streak_kind = None
            limit = self.thresholds.consecutive_failures
            if self.streak == limit:
                self.window.uncount_last(limit)  # an outage, not an error rate
            elif self.streak > limit:
                self.window.uncount_last(1)
        else:
            self.streak, self.streak_kind = 0, None
        if result.detail and not outcome.is_success:
            self.recent_errors.appendleft(result.detail)
        self._track_frozen(result, now)
        self.last = result

    def _track_frozen(self, result: ProbeResult, now: float) -> None:
        previous = self.last
        same = (
            previous is not None
            and (result.data_time_s is not None or result.data_seq is not None)
            and previous.data_time_s == result.data_time_s
            and previous.data_seq == result.data_seq
        )
        if same:
            self.frozen_count += 1
        else:
            self.frozen_count, self.frozen_since_s = 0, now


class VenueTracker:
    """A venue's endpoints, and the venue-wide facts the latest results carry."""

    __slots__ = (
        "announced",
        "clock_offset_s",
        "endpoints",
        "is_exchange",
        "name",
        "signing_window_ms",
    )

    def __init__(
        self, name: str, is_exchange: bool, signing_window_ms: tuple[float, float] | None
    ) -> None:
        self.name = name
        self.is_exchange = is_exchange
        self.signing_window_ms = signing_window_ms
        self.endpoints: list[EndpointTracker] = []
        self.clock_offset_s: float | None = None
        self.announced: ProbeResult | None = None  # the status result announcing maintenance

    def observe_status(self, result: ProbeResult) -> None:
        """Keep the maintenance window the status endpoint announces, also while it fails
        (a venue in maintenance may not answer); an answer announcing none clears it."""
        if result.maintenance_end_s is not None:
            self.announced = result
        elif result.outcome.is_success:
            self.announced = None

    @property
    def public(self) -> list[EndpointTracker]:
        """A venue's outage is judged on its public endpoints (signed probes run slower)."""
        return [e for e in self.endpoints if e.kind not in SLOW_KINDS]

    @property
    def all_failing(self) -> bool:
        public = self.public
        return bool(public) and all(e.failing for e in public)

    @property
    def all_network_failing(self) -> bool:
        public = self.public
        return bool(public) and all(e.network_failing for e in public)

    @property
    def longest_streak(self) -> int:
        return max((e.streak for e in self.endpoints), default=0)
