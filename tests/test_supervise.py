"""Surfaces under supervision: a fault is logged, counted and followed by a restart after a
capped backoff on the injected clock; a surface healthy for a while starts its backoff over;
cancellation (the TaskGroup's stop) goes through. Then the whole monitor: a surface that
keeps failing does not end the TaskGroup, and the alert is still delivered."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from pathlib import Path

import pytest
from aiohttp import web

from monitor import app
from monitor.clock import SystemClock
from monitor.models import AlertKind
from monitor.notify.webhook import WebhookSpec
from monitor.settings import NotifySettings, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim
from monitor.store.history import StoreSettings
from monitor.supervise import HEALTHY_AFTER_S, SURFACE_RETRY, Faults, Supervisor
from monitor.web.config import WebSettings
from tests.fakes import FakeClock
from tests.notify.helpers import Captured, receiver


class FlakySurface:
    """Fails after `run_s` of running, `failures` times; then runs for good."""

    def __init__(self, clock: FakeClock, failures: int, run_s: float = 1.0) -> None:
        self.clock, self.failures, self.run_s = clock, failures, run_s
        self.starts: list[float] = []

    async def run(self) -> None:
        self.starts.append(self.clock.monotonic())
        if len(self.starts) > self.failures:
            await self.clock.sleep(10_000)
        await self.clock.sleep(self.run_s)
        raise OSError("disk full")


async def test_a_fault_is_logged_counted_and_restarted_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, faults = FakeClock(), Faults()
    surface = FlakySurface(clock, failures=6)
    task = asyncio.create_task(
        Supervisor(clock, faults, random.Random(3)).run("history", surface.run)
    )
    await clock.run_for(200, sleepers=1)
    assert faults.counts == {"history": 6} and len(surface.starts) == 7
    waits = [b - a - surface.run_s for a, b in itertools.pairwise(surface.starts)]
    for attempt, wait in enumerate(waits, start=1):
        assert 0 <= wait <= min(SURFACE_RETRY.cap_s, SURFACE_RETRY.base_s * 2 ** (attempt - 1))
    failed = [r for r in caplog.records if r.getMessage() == "surface_failed"]
    assert len(failed) == 6 and failed[0].levelno == logging.ERROR
    assert failed[-1].__dict__["error"] == "OSError: disk full"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task  # the stop goes through the supervisor


async def test_a_surface_healthy_for_a_while_starts_its_backoff_over() -> None:
    clock, faults = FakeClock(), Faults()
    surface = FlakySurface(clock, failures=8, run_s=HEALTHY_AFTER_S)
    task = asyncio.create_task(Supervisor(clock, faults, random.Random(5)).run("web", surface.run))
    await clock.run_for(9 * (HEALTHY_AFTER_S + 1), sleepers=1)
    waits = [b - a - surface.run_s for a, b in itertools.pairwise(surface.starts)]
    assert len(waits) == 8 and max(waits) <= SURFACE_RETRY.base_s  # always the first backoff
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_failing_surface_leaves_probing_and_alerting_running(tmp_path: Path) -> None:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    await cluster.apply(ChaosRule(venue="okx", kind=ChaosKind.OUTAGE, mode="refused"))
    calls: list[int] = []
    restarted = asyncio.Event()

    async def broken() -> None:  # a surface that fails as soon as it starts, every time
        calls.append(1)
        if len(calls) >= 2:
            restarted.set()
        raise RuntimeError("surface bug")

    async def accepted(_: Captured) -> web.StreamResponse:
        return web.json_response({})

    stop = asyncio.Event()
    async with receiver(accepted) as (hook_url, deliveries):
        settings = point_at_sim(
            Settings(
                interval_s=0.1,
                timeout_s=0.1,
                notify=NotifySettings(
                    outbox_path=tmp_path / "o.sqlite3",
                    channels=[WebhookSpec(name="hook", url=f"{hook_url}/hook")],
                ),
                store=StoreSettings(path=tmp_path / "h.sqlite3"),
                web=WebSettings(enabled=False),
            ),
            cluster.urls,
        )
        seen: dict[str, object] = {}

        async def inspect(runtime: app.Runtime) -> None:
            while (await runtime.feed.get()).kind is not AlertKind.FIRING:
                pass
            seen["delivered"] = (await deliveries.get()).path
            await restarted.wait()
            seen["faults"] = (await runtime.view.self_stats()).surface_faults
            stop.set()

        try:
            async with asyncio.timeout(15):
                await app.run(settings, clock, stop, inspect, extras=[("broken", broken)])
        finally:
            await cluster.stop()
    assert seen["delivered"] == "/hook"
    faults = seen["faults"]
    assert isinstance(faults, dict) and set(faults) == {"broken"} and faults["broken"] >= 2
