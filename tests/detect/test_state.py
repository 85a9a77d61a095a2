"""The alert state machine on the fake clock."""

from __future__ import annotations

from monitor.detect.rules import Finding, Rule
from monitor.detect.spec import AlertKey
from monitor.detect.state import AlertBook
from monitor.detect.thresholds import DetectSettings
from monitor.models import AlertEvent, AlertKind, Evidence, Severity
from tests.fakes import FakeClock

KEY: AlertKey = (Rule.CONSECUTIVE_FAILURES, "okx", "time")


def finding(severity: Severity = Severity.HIGH, for_count: int = 1) -> Finding:
    return Finding(
        Rule.CONSECUTIVE_FAILURES, severity, "3 consecutive failures", for_count=for_count
    )


def evidence() -> Evidence:
    return Evidence({})


class Driver:
    def __init__(self, clock: FakeClock, **settings: float) -> None:
        self.clock = clock
        self.book = AlertBook(DetectSettings.model_validate(settings), clock)

    def run(
        self,
        pattern: str,
        muted: bool = False,
        severity: Severity = Severity.HIGH,
        for_count: int = 1,
    ) -> list[AlertEvent]:
        """'x' = condition present, '.' = absent; one evaluation per character, 1 s apart."""
        events = []
        for mark in pattern:
            self.clock.shift(1.0)
            found = finding(severity, for_count) if mark == "x" else None
            event = self.book.step(KEY, found, muted, evidence)
            if event is not None:
                events.append(event)
        return events


def kinds(events: list[AlertEvent]) -> list[str]:
    return [e.kind.value for e in events]


def test_pending_until_for_count_then_firing(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock)
    assert driver.run("xx", for_count=3) == []
    events = driver.run("x", for_count=3)
    assert kinds(events) == ["firing"]
    assert events[0].fingerprint == "CONSECUTIVE_FAILURES/okx/time"


def test_pending_that_clears_says_nothing(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock)
    assert driver.run("xx.xx.", for_count=3) == []


def test_resolves_only_after_n_good_evaluations(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock, resolve_after=3)
    assert kinds(driver.run("x")) == ["firing"]
    assert driver.run("..x..") == []  # a hit in between restarts the count
    events = driver.run(".")
    assert kinds(events) == ["resolved"]
    assert events[0].summary.startswith("recovered after")


def test_severity_change_is_an_update(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock)
    driver.run("x", severity=Severity.HIGH)
    events = driver.run("x", severity=Severity.CRITICAL)
    assert kinds(events) == ["updated"]
    assert events[0].previous_severity is Severity.HIGH
    assert events[0].severity is Severity.CRITICAL


def test_muted_alert_is_announced_when_unmuted(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock)
    assert driver.run("xxx", muted=True) == []
    assert kinds(driver.run("x", muted=False)) == ["firing"]


def test_muted_and_never_announced_resolves_silently(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock)
    assert driver.run("xx", muted=True) == []
    assert driver.run("....", muted=True) == []


def test_announced_alert_still_resolves_when_muted_later(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock)
    assert kinds(driver.run("x")) == ["firing"]
    assert kinds(driver.run("x...", muted=True)) == ["resolved"]


def test_flapping_alert_stays_firing_instead_of_renotifying(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock, resolve_after=1, flap_max_toggles=4, flap_quiet_s=30)
    assert kinds(driver.run("x.x.")) == ["firing", "resolved", "firing", "resolved"]
    events = driver.run("x.")
    assert kinds(events) == ["firing", "updated"]
    assert events[1].flapping
    assert driver.run("x.x.x.") == []  # held firing: no more notifications
    assert kinds(driver.run("." * 30)) == ["resolved"]  # quiet long enough


def test_reminder_after_repeat_interval(fake_clock: FakeClock) -> None:
    driver = Driver(fake_clock, repeat_interval_s=10)
    driver.run("x")
    assert driver.book.reminders(lambda s: evidence()) == []
    driver.run("x" * 10)
    reminders = driver.book.reminders(lambda s: evidence())
    assert [e.kind for e in reminders] == [AlertKind.REMINDER]
    assert driver.book.reminders(lambda s: evidence()) == []  # the clock restarted
