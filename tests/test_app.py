"""The composed pipeline against the simulator: an outage becomes an alert, and stopping
leaves no task behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor import app
from monitor.clock import SystemClock
from monitor.models import AlertEvent, AlertKind, Origin, Outcome, ProbeResult, SelfHealth
from monitor.probes.kinds import build_plan
from monitor.settings import NotifySettings, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim
from monitor.store.history import StoreSettings
from monitor.web.config import WebSettings

WEB = WebSettings(port=0)  # a fixed port collides with parallel test runs


async def test_outage_alert_then_stop_with_zero_tasks_left(tmp_path: Path) -> None:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    await cluster.apply(ChaosRule(venue="okx", kind=ChaosKind.OUTAGE, mode="refused"))
    notify = NotifySettings(outbox_path=tmp_path / "outbox.sqlite3")
    store = StoreSettings(path=tmp_path / "history.sqlite3")
    settings = point_at_sim(
        Settings(interval_s=0.1, timeout_s=0.1, notify=notify, store=store, web=WEB), cluster.urls
    )
    stop = asyncio.Event()
    fired = []

    async def first_alert(runtime: app.Runtime) -> None:
        fired.append(await runtime.feed.get())
        stop.set()

    async with asyncio.timeout(10):
        runtime = await app.run(settings, clock, stop, first_alert)
    await cluster.stop()
    assert [(e.kind, e.fingerprint) for e in fired] == [(AlertKind.FIRING, "EXCHANGE_DOWN/okx")]
    others = [e for e in runtime.detector.endpoints.values() if e.venue != "okx" and e.last]
    assert others and all(e.last and e.last.outcome is Outcome.OK for e in others)
    assert runtime.results.dropped == 0
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_every_record_carries_this_instances_origin(tmp_path: Path) -> None:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    await cluster.apply(ChaosRule(venue="okx", kind=ChaosKind.OUTAGE, mode="refused"))
    settings = point_at_sim(
        Settings(
            instance="edge-7",
            region="ap-tokyo",
            interval_s=0.1,
            timeout_s=0.1,
            notify=NotifySettings(outbox_path=tmp_path / "outbox.sqlite3"),
            store=StoreSettings(path=tmp_path / "history.sqlite3"),
            web=WebSettings(enabled=False),
        ),
        cluster.urls,
    )
    stop = asyncio.Event()
    seen: list[ProbeResult | SelfHealth | AlertEvent] = []

    async def watch(runtime: app.Runtime) -> None:
        results = runtime.bus.subscribe(ProbeResult, "test-results", 10)
        health = runtime.bus.subscribe(SelfHealth, "test-health", 10)
        seen.extend([await results.get(), await health.get(), await runtime.feed.get()])
        stop.set()

    async with asyncio.timeout(10):
        await app.run(settings, clock, stop, watch)
    await cluster.stop()
    assert [r.origin for r in seen] == [Origin("edge-7", "ap-tokyo")] * 3


async def test_keepalive_outlasts_the_longest_interval() -> None:
    plan = build_plan(Settings(interval_s=60.0))
    assert app.keepalive_s(plan) > 60.0
