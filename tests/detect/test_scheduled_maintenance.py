"""An announced maintenance window: an info alert from the announcement, and outage alerts
of the venue silenced inside the window only (fake clock)."""

from __future__ import annotations

from typing import Any

from monitor.models import Outcome
from tests.detect.test_detector_rules import Scenario
from tests.fakes import FakeClock

TIMEOUT = {"outcome": Outcome.TIMEOUT, "detail": "deadline exceeded", "latency_s": 1.0}


def announcing(begin_s: float, end_s: float) -> dict[str, Any]:
    return {
        "venue_status": "scheduled",
        "detail": "Trading account system upgrade",
        "maintenance_begin_s": begin_s,
        "maintenance_end_s": end_s,
    }


def dark(s: Scenario, venue: str) -> dict[str, Any]:
    return {eid: TIMEOUT for eid, p in s.probes.items() if p.venue == venue}


def test_announced_window_alerts_and_silences_outages_inside_it(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    begin = fake_clock.wall() + 20
    announced = {"okx.status": announcing(begin, begin + 30)}
    s.rounds(3, announced)
    assert s.events() == [("firing", "MAINTENANCE_SCHEDULED/okx", "low")]
    s.rounds(20, announced)  # the window has begun
    s.rounds(8, dark(s, "okx"))  # the venue goes dark, as announced
    s.rounds(10, announced)
    assert s.events() == []  # no EXCHANGE_DOWN, no endpoint alert, before or after
    s.rounds(3, {"okx.status": {"venue_status": "normal"}})
    assert s.events() == [("resolved", "MAINTENANCE_SCHEDULED/okx", "low")]


def test_an_outage_before_the_window_is_announced(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    begin = fake_clock.wall() + 600
    s.rounds(3, {"okx.status": announcing(begin, begin + 60)})
    assert s.events() == [("firing", "MAINTENANCE_SCHEDULED/okx", "low")]
    s.rounds(5, dark(s, "okx"))
    assert s.events() == [("firing", "EXCHANGE_DOWN/okx", "critical")]


def test_a_window_in_the_past_raises_nothing(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    end = fake_clock.wall() - 60
    s.rounds(3, {"okx.status": announcing(end - 60, end)})
    assert s.events() == []
