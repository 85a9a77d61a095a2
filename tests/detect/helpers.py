"""Driving the detector directly with synthetic results on the fake clock."""

from __future__ import annotations

import random
from typing import Any

from monitor.app import make_detector as build_detector
from monitor.bus.base import Subscription
from monitor.bus.local import LocalBus
from monitor.detect.detector import Detector
from monitor.detect.ruleset import RULES
from monitor.detect.spec import RuleBook
from monitor.exchanges import EndpointKind
from monitor.models import (
    UNKNOWN_ORIGIN,
    AlertEvent,
    Outcome,
    ProbeResult,
    SelfHealth,
    SubscriberDrops,
)
from monitor.probes.kinds import build_plan
from monitor.probes.plan import ProbePlan
from monitor.settings import Settings
from tests.fakes import FakeClock


def make_detector(
    clock: FakeClock, settings: Settings | None = None, rules: RuleBook = RULES
) -> tuple[Detector, Subscription[AlertEvent], list[ProbePlan]]:
    """A detector publishing on a bus, and a subscription to the alerts it publishes."""
    settings = settings or Settings(interval_s=1.0, timeout_s=1.0)
    plan = build_plan(settings)
    bus = LocalBus()
    alerts = bus.subscribe(AlertEvent, "test", 100_000)
    return build_detector(settings, plan, clock, bus, rules), alerts, list(plan.probes)


class HealthyModel:
    """Realistic healthy answers: log-normal latency jitter with a rare slow tail, a clock
    offset within the RTT, market data that moves, a little rate-limit usage."""

    def __init__(self, clock: FakeClock, seed: int = 1) -> None:
        self._clock = clock
        self._rng = random.Random(seed)
        self._seq = 0

    def result(self, p: ProbePlan, outcome: Outcome = Outcome.OK, **extra: Any) -> ProbeResult:
        """A healthy answer (or `outcome`); `extra` replaces any ProbeResult field."""
        rng = self._rng
        latency = 0.025 * rng.lognormvariate(0, 0.35)
        if rng.random() < 0.005:
            latency *= rng.uniform(3, 8)  # the odd slow answer
        wall = self._clock.wall()
        fields: dict[str, Any] = {
            "endpoint_id": p.endpoint_id,
            "venue": p.venue,
            "endpoint": p.endpoint,
            "outcome": outcome,
            "scheduled_s": self._clock.monotonic(),
            "started_wall_s": wall,
            "latency_s": latency,
            "sched_lag_s": rng.uniform(0, 0.002),
            "loop_lag_s": rng.uniform(0, 0.001),
            "status": 200 if outcome.is_success else None,
        }
        if outcome is Outcome.OK:
            fields.update(self._facts(p, latency, wall))
        fields.update(extra)
        return ProbeResult(**fields)

    def _facts(self, p: ProbePlan, latency: float, wall: float) -> dict[str, Any]:
        rng = self._rng
        self._seq += 1
        facts: dict[str, Any] = {}
        if p.kind is EndpointKind.TIME:
            resolution = 1.0 if p.venue == "kraken" else 0.0
            facts = {
                "clock_offset_s": rng.gauss(0, 0.003),
                "clock_uncertainty_s": latency / 2 + resolution / 2,
            }
        elif p.kind is EndpointKind.MARKET:
            facts = {"data_time_s": wall - rng.uniform(0.0, 0.8), "data_seq": str(self._seq)}
        elif p.kind is EndpointKind.STATUS:
            facts = {"venue_status": "normal"}
        if p.venue == "binance":
            facts["rate_used_ratio"] = rng.uniform(0.001, 0.02)
        return facts


def stalled(clock: FakeClock, lag_s: float, dropped: int = 0) -> SelfHealth:
    """The SelfHealth record of a loop that lagged `lag_s` (and dropped results)."""
    drops = (SubscriberDrops("detector", "probe_result", dropped),)
    return SelfHealth(UNKNOWN_ORIGIN, clock.wall(), lag_s, 0, 0, 0, drops)


def drain(alerts: Subscription[AlertEvent]) -> list[AlertEvent]:
    out = []
    while alerts.qsize():
        out.append(alerts.get_nowait())
    return out
