"""History: rollups agree with the in-memory windows, and survive a restart."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from monitor.detect.window import Window
from monitor.models import AlertKind, Outcome, ProbeResult
from monitor.store.history import History, StoreSettings
from monitor.store.rollups import Rollups
from tests.notify.helpers import event

MINUTE = 1_760_000_040.0  # a minute boundary


def result(t: float, latency: float, outcome: Outcome = Outcome.OK) -> ProbeResult:
    return ProbeResult("okx.time", "okx", "time", outcome, t, t, latency, 0.0, 0.0)


def test_rollup_agrees_with_the_window_over_the_same_minute() -> None:
    rng = random.Random(5)
    rollups, window = Rollups(), Window(1000, 60.0)
    for i in range(60):
        outcome = Outcome.TIMEOUT if i % 17 == 0 else Outcome.OK
        latency = rng.uniform(0.01, 0.4)
        rollups.add(result(MINUTE + i, latency, outcome))
        window.add(MINUTE + i, outcome, latency if outcome is Outcome.OK else None)
    rollups.close_before(MINUTE + 61)
    ((endpoint_id, minute),) = rollups.take_unsaved()
    assert endpoint_id == "okx.time"
    stats = window.stats()
    assert minute.count == stats.samples and minute.errors == 4
    for got, want in (
        (minute.p50_s, stats.p50_s),
        (minute.p95_s, stats.p95_s),
        (minute.p99_s, stats.p99_s),
        (minute.max_s, stats.max_s),
    ):
        assert got == pytest.approx(want, rel=1e-6)  # the window stores float32


async def test_history_survives_a_restart(tmp_path: Path) -> None:
    settings = StoreSettings(path=tmp_path / "history.sqlite3")
    rollups = Rollups()
    for i in range(120):
        rollups.add(result(MINUTE + i, 0.02 + i / 10_000))
    rollups.close_before(MINUTE + 121)
    closed = rollups.take_unsaved()
    history = History(settings)
    await history.open()
    await history.save(closed, [event(), event(kind=AlertKind.RESOLVED)], MINUTE + 130)
    await history.close()

    reopened = History(settings)
    await reopened.open()
    first = await reopened.series("okx.time", 0.0, 1)
    both = await reopened.series("okx.time", first[0].minute_s, 10)
    alerts = await reopened.recent_alerts()
    await reopened.close()
    assert first == [closed[0][1]] and both == [r for _, r in closed]
    assert sorted(a["kind"] for a in alerts) == ["firing", "resolved"]
