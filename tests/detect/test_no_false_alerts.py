"""A day of healthy probing raises nothing: simulated on the fake clock, not wall time."""

from __future__ import annotations

import random

from monitor.models import Outcome
from tests.detect.helpers import HealthyModel, drain, make_detector
from tests.fakes import FakeClock

DAY_S = 24 * 3600


def run_day(clock: FakeClock, blip_every_s: int | None) -> list[str]:
    detector, alerts, probes = make_detector(clock)
    model = HealthyModel(clock)
    rng = random.Random(7)
    step = 1.0 / len(probes)  # endpoints spread over each second, as the runner spreads them
    next_blip = blip_every_s
    for second in range(DAY_S):
        blip_target = None
        if next_blip is not None and second >= next_blip:
            blip_target = rng.randrange(len(probes))
            next_blip = second + rng.randint(blip_every_s or 0, 2 * (blip_every_s or 0))
        for i, p in enumerate(probes):
            clock.shift(step)
            if i == blip_target:
                detector.ingest(model.result(p, Outcome.TIMEOUT, detail="deadline exceeded"))
            else:
                detector.ingest(model.result(p))
        detector.tick()
    return [f"{e.kind} {e.fingerprint}: {e.summary}" for e in drain(alerts)]


def test_24h_healthy_with_jitter_raises_zero_alerts(fake_clock: FakeClock) -> None:
    assert run_day(fake_clock, blip_every_s=None) == []


def test_24h_with_isolated_single_probe_blips_raises_zero_alerts(fake_clock: FakeClock) -> None:
    assert run_day(fake_clock, blip_every_s=180) == []
