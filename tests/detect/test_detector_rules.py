"""Rules through the detector, with synthetic results on the fake clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitor.detect.thresholds import DetectSettings, SilenceSettings, Thresholds
from monitor.models import (
    AlertKind,
    Outcome,
    Severity,
)
from monitor.probes.plan import ProbePlan
from monitor.settings import Settings
from tests.detect.helpers import HealthyModel, drain, make_detector, stalled
from tests.fakes import FakeClock


class Scenario:
    def __init__(self, clock: FakeClock, settings: Settings | None = None) -> None:
        self.clock = clock
        self.detector, self.alerts, probes = make_detector(clock, settings)
        self.probes = {p.endpoint_id: p for p in probes}
        self.model = HealthyModel(clock)

    def rounds(self, n: int, overrides: dict[str, dict[str, Any]] | None = None) -> None:
        """n rounds of every endpoint, 1 s apart; `overrides[endpoint_id]` replaces fields."""
        for _ in range(n):
            for endpoint_id, p in self.probes.items():
                self.clock.shift(1.0 / len(self.probes))
                self.detector.ingest(self._result(p, (overrides or {}).get(endpoint_id)))
            self.detector.tick()

    def _result(self, p: ProbePlan, change: dict[str, Any] | None) -> Any:
        if not change:
            return self.model.result(p)
        fields = dict(change)
        outcome = fields.pop("outcome", Outcome.OK)
        result = self.model.result(p, outcome, **fields)
        return result

    def events(self) -> list[tuple[str, str, str]]:
        return [(e.kind.value, e.fingerprint, e.severity.value) for e in drain(self.alerts)]


def slow(ms: float) -> dict[str, Any]:
    return {"latency_s": ms / 1000}


def test_seed_rule_set_is_expressible(fake_clock: FakeClock) -> None:
    """The seeds: latency above 1,000 ms -> warning; HTTP >= 400 -> critical; connection
    failure -> critical; 3 consecutive failures -> critical (subsumed by the one-failure rule)."""
    seeds = Thresholds(
        high_latency_ms=1000,
        high_latency_stat="last",
        high_latency_min_samples=1,
        high_latency_severity=Severity.MEDIUM,
        consecutive_failures=1,
        consecutive_failures_severity=Severity.CRITICAL,
    )
    s = Scenario(fake_clock, Settings(rules=seeds))
    s.rounds(3)
    s.rounds(1, {"binance.depth": slow(1500)})
    s.rounds(1, {"okx.ticker": {"outcome": Outcome.HTTP_ERROR, "status": 502}})
    s.rounds(1, {"kraken.time": {"outcome": Outcome.CONNECT_ERROR, "detail": "refused"}})
    assert [e for e in s.events() if e[0] == "firing"] == [
        ("firing", "HIGH_LATENCY/binance/depth", "medium"),
        ("firing", "CONSECUTIVE_FAILURES/okx/ticker", "critical"),
        ("firing", "CONSECUTIVE_FAILURES/kraken/time", "critical"),
    ]


def test_endpoint_threshold_override(fake_clock: FakeClock) -> None:
    settings = Settings.model_validate(
        {"exchanges": {"binance": {"endpoints": {"depth": {"rules": {"high_latency_ms": 50}}}}}}
    )
    s = Scenario(fake_clock, settings)
    s.rounds(30, {"binance.depth": slow(80), "binance.time": slow(80)})
    assert s.events() == [("firing", "HIGH_LATENCY/binance/depth", "medium")]


def test_intermittent_errors_raise_error_rate_and_resolve(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(20)
    for _ in range(6):  # 2 failures in every 10 probes, never 3 in a row
        s.rounds(1, {"bybit.time": {"outcome": Outcome.TIMEOUT}})
        s.rounds(4)
    fired = s.events()
    assert fired and fired[0][:2] == ("firing", "ERROR_RATE/bybit/time")
    s.rounds(400)  # the failures age out of the 5-minute window
    assert [e[:2] for e in s.events()][-1] == ("resolved", "ERROR_RATE/bybit/time")


def test_outage_does_not_leave_an_error_rate_behind(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(30)
    s.rounds(10, {"okx.ticker": {"outcome": Outcome.CONNECT_ERROR}})
    s.rounds(10)
    assert [e[:2] for e in s.events()] == [
        ("firing", "CONSECUTIVE_FAILURES/okx/ticker"),
        ("resolved", "CONSECUTIVE_FAILURES/okx/ticker"),
    ]


def test_slow_probe_cannot_fake_clock_drift(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    vague = {"clock_offset_s": 0.6, "clock_uncertainty_s": 0.3}  # 600 +- 300 ms
    s.rounds(5, {"okx.time": vague})
    assert s.events() == []
    s.rounds(5, {"okx.time": {"clock_offset_s": 0.6, "clock_uncertainty_s": 0.01}})
    assert s.events() == [("firing", "CLOCK_DRIFT/okx/time", "medium")]


def test_our_own_overload_suspends_latency_rules(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(30)
    s.detector.observe_health(stalled(fake_clock, 0.4))  # the loop stalled 400 ms
    s.rounds(1)
    assert s.events() == [("firing", "MONITOR_DEGRADED/monitor", "high")]
    s.detector.observe_health(stalled(fake_clock, 0.4))
    # latencies look terrible while we are overloaded: no HIGH_LATENCY
    lagging = {"latency_s": 2.0, "sched_lag_s": 0.01, "loop_lag_s": 0.01}
    s.rounds(1, dict.fromkeys(s.probes, lagging))
    assert s.events() == []


def test_results_dropped_on_the_bus_degrade_the_monitor_once(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(3)
    s.detector.observe_health(stalled(fake_clock, 0.001, dropped=5))
    s.rounds(1)
    assert s.events() == [("firing", "MONITOR_DEGRADED/monitor", "high")]
    for _ in range(3):  # the same running total: no new drops, so it resolves
        s.detector.observe_health(stalled(fake_clock, 0.001, dropped=5))
        s.rounds(1)
    assert s.events() == [("resolved", "MONITOR_DEGRADED/monitor", "high")]


def test_silence_and_maintenance_window(fake_clock: FakeClock) -> None:
    now = dt.datetime.fromtimestamp(fake_clock.wall(), dt.UTC)
    silences = [
        SilenceSettings(venue="okx", ends_at=now + dt.timedelta(hours=1)),
        SilenceSettings(
            venue="kraken",
            starts_at=now + dt.timedelta(hours=2),
            ends_at=now + dt.timedelta(hours=3),
        ),
    ]
    s = Scenario(fake_clock, Settings(detect=DetectSettings(silences=silences)))
    down = {"outcome": Outcome.TIMEOUT}
    s.rounds(5, {"okx.time": down, "kraken.time": down})
    assert s.events() == [("firing", "CONSECUTIVE_FAILURES/kraken/time", "critical")]


def test_rate_budget_before_any_429(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(2, {"binance.depth": {"rate_used_ratio": 0.85}})
    assert s.events() == [("firing", "RATE_LIMIT_BUDGET/binance", "medium")]


def test_data_too_old_is_stale(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(2, {"okx.ticker": {"data_time_s": fake_clock.wall() - 120, "data_seq": None}})
    assert s.events() == [("firing", "STALE_DATA/okx/ticker", "high")]


def test_maintenance_inhibits_exchange_down(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(2)
    down = {"outcome": Outcome.CONNECT_ERROR, "detail": "refused"}
    status = {"outcome": Outcome.MAINTENANCE, "venue_status": "maintenance"}
    s.rounds(6, {"bybit.time": down, "bybit.orderbook": down, "bybit.status": status})
    assert s.events() == [("firing", "MAINTENANCE/bybit", "low")]


def test_ban_is_critical_and_carries_its_end(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    ban = {"outcome": Outcome.RATE_LIMITED, "status": 418, "ban_until_s": fake_clock.wall() + 600}
    s.rounds(1, {"binance.ping": ban})
    events = drain(s.alerts)
    assert [(e.kind, e.fingerprint) for e in events] == [(AlertKind.FIRING, "RATE_LIMITED/binance")]
    assert events[0].severity is Severity.CRITICAL
    assert events[0].evidence.facts.ban_until_s == ban["ban_until_s"]
