"""The terminal dashboard, rendered at a fixed terminal size."""

from __future__ import annotations

import dataclasses

from rich.console import Console

from monitor.dashboard import render
from monitor.detect.health import health
from monitor.exchanges import EXCHANGES
from monitor.models import Outcome
from monitor.notify.payload import alert_json
from tests.detect.helpers import HealthyModel, make_detector
from tests.fakes import FakeClock
from tests.notify.helpers import event


def test_dashboard_shows_every_venue_with_latency_requests_and_alerts() -> None:
    clock = FakeClock()
    detector, _, probes = make_detector(clock)
    model = HealthyModel(clock)
    for _ in range(20):
        for p in probes:
            clock.shift(0.05)
            failed = p.venue == "okx"
            detector.ingest(model.result(p, Outcome.CONNECT_ERROR) if failed else model.result(p))
    status = {"venues": [dataclasses.asdict(v) for v in health(detector)]}
    alerts = {"recent": [alert_json(event())]}
    console = Console(width=160, record=True, color_system=None)
    console.print(render(status, alerts))
    text = console.export_text()
    for venue in EXCHANGES:
        assert venue in text
    assert "offline (down)" in text and "online (up)" in text
    assert "100.0%" in text  # okx's error rate
    assert "EXCHANGE_DOWN/okx" in text and "critical" in text
    okx_row = next(line for line in text.splitlines() if "│ okx " in line)
    assert " 60 " in okx_row and " 0 " in okx_row  # 60 requests, none served
