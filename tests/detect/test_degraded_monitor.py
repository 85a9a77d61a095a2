"""A storm: many endpoints failing at once make the monitor lag, and healthy endpoints then
see timeouts that are the monitor's own. Those must raise no ERROR_RATE (issue #12: 659 false
alerts while MONITOR_DEGRADED fired); genuine failures must still alert."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.models import AlertKind, Outcome
from monitor.settings import Settings
from tests.detect.helpers import HealthyModel, drain, make_detector, stalled
from tests.fakes import FakeClock

TARGETS = 60
HANGING = {f"t{i:03d}" for i in range(20)}  # every probe times out: a genuine outage
REFUSING = "t059"  # intermittently refused connections during the storm: genuine
STALL_S = 0.4  # the loop's lag during the storm, over degraded_lag_ms (250 ms)


def _settings() -> Settings:
    targets = [{"name": f"t{i:03d}", "url": f"http://127.0.0.1:1/{i}"} for i in range(TARGETS)]
    return Settings.model_validate({"interval_s": 1.0, "timeout_s": 1.0, "targets": targets})


@pytest.mark.parametrize(
    "lag_seen_by_probe_s",
    [STALL_S, 0.001],
    ids=["probes-measured-the-lag", "only-MONITOR_DEGRADED-knows"],
)
def test_storm_raises_no_false_error_rate(
    fake_clock: FakeClock, lag_seen_by_probe_s: float
) -> None:
    detector, alerts, probes = make_detector(fake_clock, _settings())
    model = HealthyModel(fake_clock)
    step = 1.0 / len(probes)

    def second(storm: int | None) -> None:
        for i, p in enumerate(probes):
            fake_clock.shift(step)
            fields: dict[str, Any] = {}
            outcome = Outcome.OK
            if storm is not None:
                fields = {"loop_lag_s": lag_seen_by_probe_s, "sched_lag_s": lag_seen_by_probe_s}
                if p.venue in HANGING:
                    outcome = Outcome.TIMEOUT
                elif (storm + i) % 3 == 0:  # a healthy endpoint's probe starved by the stall
                    refused = p.venue == REFUSING
                    outcome = Outcome.CONNECT_ERROR if refused else Outcome.TIMEOUT
            detector.ingest(model.result(p, outcome, **fields))
        if storm is not None:
            detector.observe_health(stalled(fake_clock, STALL_S))
        detector.tick()

    for _ in range(30):
        second(None)
    for s in range(60):
        second(s)
    fired = {e.fingerprint for e in drain(alerts) if e.kind is AlertKind.FIRING}
    assert "MONITOR_DEGRADED/monitor" in fired
    hanging = {f"CONSECUTIVE_FAILURES/{venue}/http" for venue in HANGING}
    assert hanging <= fired  # the genuine outages still alert
    refused = f"ERROR_RATE/{REFUSING}/http"
    assert refused in fired  # a refused connection is never our own stall
    assert fired - hanging - {"MONITOR_DEGRADED/monitor", refused} == set()
