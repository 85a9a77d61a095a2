"""ACCESS_DENIED through the detector: one critical venue alert naming the block and the
vantage point, muting the venue's outage and endpoint alerts."""

from __future__ import annotations

from monitor.models import AlertKind, Outcome, Severity
from monitor.notify.render import event_line
from tests.detect.helpers import drain
from tests.detect.test_detector_rules import Scenario
from tests.fakes import FakeClock

GEO = {
    "outcome": Outcome.ACCESS_DENIED,
    "status": 403,
    "detail": "HTTP 403 The Amazon CloudFront distribution is configured to block access from"
    " your country.",
    "block": "CloudFront geo-block",
    "next_probe_s": 60.0,
}


def test_a_geo_block_is_one_critical_access_denied_not_an_outage(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(2)
    s.rounds(6, {e: GEO for e in s.probes if e.startswith("binance.")})
    events = drain(s.alerts)
    assert [(e.kind, e.fingerprint, e.severity) for e in events] == [
        (AlertKind.FIRING, "ACCESS_DENIED/binance", Severity.CRITICAL)
    ]
    event = events[0]
    assert event.summary.startswith("access denied from this host: CloudFront geo-block on ")
    assert "HTTP 403 The Amazon CloudFront distribution is configured to block" in event.summary
    line = event_line(event, str)
    assert "next probe in 60 s" in line and "HTTP 403" in line
