"""Alerts restored after a restart, on the fake clock: adopted silently when their rule finds
them again, resolved once when it has the fresh results to decide and does not, or when the
wait is over; nothing is invented."""

from __future__ import annotations

import dataclasses

from monitor.app import make_detector
from monitor.bus.base import Subscription
from monitor.bus.local import LocalBus
from monitor.detect.detector import Detector
from monitor.detect.restore import RestoredAlert
from monitor.detect.ruleset import RULES
from monitor.detect.state import Phase
from monitor.detect.thresholds import DetectSettings
from monitor.models import AlertEvent, AlertKind, Outcome, Severity
from monitor.probes.kinds import build_plan
from monitor.probes.plan import ProbePlan
from monitor.settings import Settings
from tests.detect.helpers import HealthyModel, drain
from tests.fakes import FakeClock
from tests.notify.helpers import event

DOWN = event(rule="EXCHANGE_DOWN", venue="okx")  # announced before the restart
KEY = ("EXCHANGE_DOWN", "okx", None)


def start(
    clock: FakeClock, *restored: RestoredAlert, venues: tuple[str, ...] = ("okx",)
) -> tuple[Detector, Subscription[AlertEvent], list[ProbePlan]]:
    settings = Settings(
        interval_s=1.0,
        timeout_s=1.0,
        enabled_exchanges=list(venues),
        detect=DetectSettings(restore_wait_s=60.0),
    )
    plan = build_plan(settings)
    bus = LocalBus()
    alerts = bus.subscribe(AlertEvent, "test", 1000)
    detector = make_detector(settings, plan, clock, bus, RULES, restored)
    return detector, alerts, list(plan.probes)


def rounds(
    detector: Detector, clock: FakeClock, probes: list[ProbePlan], outcome: Outcome, n: int
) -> None:
    """`n` probe rounds of every endpoint with `outcome`, a tick after each."""
    model = HealthyModel(clock)
    for _ in range(n):
        for p in probes:
            detector.ingest(model.result(p, outcome))
        clock.shift(1.0)
        detector.tick()


def test_still_failing_is_adopted_silently_with_its_start_time() -> None:
    clock = FakeClock()
    detector, alerts, probes = start(clock, RestoredAlert(DOWN))
    rounds(detector, clock, probes, Outcome.CONNECT_ERROR, 5)
    assert drain(alerts) == []  # no second FIRING, and the endpoints stay muted
    state = detector.book.get(KEY)
    assert state is not None and state.phase is Phase.FIRING and state.announced
    assert state.started_at_s == DOWN.started_at_s
    assert detector.restoring.held() == ()


def test_adopted_alert_resolves_later_as_usual() -> None:
    clock = FakeClock()
    detector, alerts, probes = start(clock, RestoredAlert(DOWN))
    rounds(detector, clock, probes, Outcome.CONNECT_ERROR, 3)
    rounds(detector, clock, probes, Outcome.OK, 5)
    [resolved] = drain(alerts)
    assert (resolved.kind, resolved.started_at_s) == (AlertKind.RESOLVED, DOWN.started_at_s)


def test_cleared_while_down_is_resolved_once_when_the_rule_can_decide() -> None:
    clock = FakeClock()
    detector, alerts, probes = start(clock, RestoredAlert(DOWN))
    needed = Settings().rules.consecutive_failures  # EXCHANGE_DOWN's decides_after
    rounds(detector, clock, probes, Outcome.OK, needed - 1)
    assert drain(alerts) == []  # too few fresh results to say it cleared
    assert [h.key for h in detector.restoring.held()] == [KEY]
    rounds(detector, clock, probes, Outcome.OK, 1)
    [resolved] = drain(alerts)
    assert resolved.kind is AlertKind.RESOLVED
    assert (resolved.fingerprint, resolved.started_at_s) == (DOWN.fingerprint, DOWN.started_at_s)
    assert resolved.severity is Severity.CRITICAL
    rounds(detector, clock, probes, Outcome.OK, 10)
    assert drain(alerts) == []  # announced once
    assert detector.book.get(KEY) is None and detector.restoring.held() == ()


def test_undecidable_alert_waits_at_most_restore_wait_s() -> None:
    clock = FakeClock()
    detector, alerts, _ = start(clock, RestoredAlert(DOWN))
    for _ in range(59):  # the venue is probed but no result arrives
        clock.shift(1.0)
        detector.tick()
    assert drain(alerts) == []
    clock.shift(1.0)
    detector.tick()
    assert [e.kind for e in drain(alerts)] == [AlertKind.RESOLVED]


def test_alert_of_a_venue_no_longer_probed_is_resolved_at_the_first_tick() -> None:
    clock = FakeClock()
    gone = RestoredAlert(event(rule="EXCHANGE_DOWN", venue="kraken"))
    detector, alerts, _ = start(clock, gone, venues=("okx",))
    detector.tick()
    assert [(e.kind, e.venue) for e in drain(alerts)] == [(AlertKind.RESOLVED, "kraken")]


def test_alert_of_a_rule_no_longer_in_the_table_is_resolved() -> None:
    clock = FakeClock()
    detector, alerts, _ = start(clock, RestoredAlert(event(rule="RETIRED_RULE", venue="okx")))
    detector.tick()
    assert [e.rule for e in drain(alerts)] == ["RETIRED_RULE"]


def test_flap_history_survives_adoption() -> None:
    clock = FakeClock()
    flapping = dataclasses.replace(DOWN, flapping=True)
    fires = tuple(clock.wall() - 60 * i for i in range(1, 4))
    detector, alerts, probes = start(clock, RestoredAlert(flapping, fires))
    rounds(detector, clock, probes, Outcome.CONNECT_ERROR, 3)
    rounds(detector, clock, probes, Outcome.OK, 5)
    assert drain(alerts) == []  # still flapping: it waits out flap_quiet_s before resolving
    state = detector.book.get(KEY)
    assert state is not None and state.flapping
