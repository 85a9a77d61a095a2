"""What waits for each channel is on /metrics and /api/v1/self, read through the view: a
webhook receiver that answers 503 keeps the alert pending while the monitor runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
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
from monitor.web.config import WebSettings
from tests.notify.helpers import Captured, receiver

TOKEN = "web-token-5150-abcdefgh"


async def unavailable(_: Captured) -> web.StreamResponse:
    return web.Response(status=503)


def gauge(metrics: str, name: str, channel: str) -> float:
    prefix = f'exchange_monitor_{name}{{channel="{channel}"}} '
    (line,) = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(line.removeprefix(prefix))


async def surfaces(url: str) -> tuple[str, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/metrics") as r:
            metrics = await r.text()
        auth = {"Authorization": f"Bearer {TOKEN}"}
        async with session.get(f"{url}/api/v1/self", headers=auth) as r:
            return metrics, await r.json()


async def test_pending_and_oldest_age_per_channel(tmp_path: Path) -> None:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    await cluster.apply(ChaosRule(venue="okx", kind=ChaosKind.OUTAGE, mode="refused"))
    stop = asyncio.Event()
    seen: dict[str, Any] = {}
    async with receiver(unavailable) as (hook_url, attempts):
        settings = point_at_sim(
            Settings(
                interval_s=0.1,
                timeout_s=0.1,
                notify=NotifySettings(
                    outbox_path=tmp_path / "o.sqlite3",
                    channels=[WebhookSpec(name="hook", url=f"{hook_url}/hook")],
                ),
                store=StoreSettings(path=tmp_path / "h.sqlite3"),
                web=WebSettings(port=0, token=TOKEN),
            ),
            cluster.urls,
        )

        async def inspect(runtime: app.Runtime) -> None:
            while (await runtime.feed.get()).kind is not AlertKind.FIRING:
                pass
            await attempts.get()  # the receiver refused it: it waits in the outbox
            await runtime.web_up.wait()
            url = f"http://127.0.0.1:{runtime.listening['web']}"
            seen["metrics"], seen["self"] = await surfaces(url)
            stop.set()

        try:
            async with asyncio.timeout(15):
                await app.run(settings, clock, stop, inspect)
        finally:
            await cluster.stop()
    metrics = seen["metrics"]
    assert gauge(metrics, "notifications_pending", "hook") >= 1
    assert gauge(metrics, "notifications_oldest_pending_age_seconds", "hook") > 0
    ((hook,),) = [[c for c in seen["self"]["notifications"] if c["channel"] == "hook"]]
    assert hook["pending"] >= 1 and hook["oldest_pending_age_s"] > 0 and hook["failed"] >= 1
