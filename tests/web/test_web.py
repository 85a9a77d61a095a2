"""The web surfaces of a running monitor: metrics (checked by the real promtool), health, the
API with its token, silences, and the status page."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor import app
from monitor.clock import SystemClock
from monitor.models import AlertKind
from monitor.settings import NotifySettings, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim
from monitor.store.history import StoreSettings
from monitor.web.config import WebSettings

TOKEN = "web-token-5150-abcdefgh"
PROMTOOL = shutil.which("promtool")


async def check_surfaces(url: str, seen: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/healthz") as r:
            seen["healthz"] = r.status
        async with session.get(f"{url}/readyz") as r:
            seen["readyz"] = r.status
        async with session.get(f"{url}/metrics") as r:
            seen["metrics"] = await r.text()
        async with session.get(f"{url}/api/v1/status") as r:
            seen["status_no_token"] = r.status
        async with session.get(f"{url}/api/v1/status", headers=auth) as r:
            seen["status"] = await r.json()
        async with session.get(f"{url}/api/v1/alerts", headers=auth) as r:
            seen["alerts"] = await r.json()
        async with session.get(f"{url}/api/v1/endpoints/okx.time/series", headers=auth) as r:
            seen["series"] = r.status
        ends_at = dt.datetime.fromtimestamp(SystemClock().wall() + 3600, dt.UTC).isoformat()
        silence = {"venue": "okx", "ends_at": ends_at, "comment": "planned"}
        async with session.post(f"{url}/api/v1/silences", json=silence) as r:
            seen["silence_no_token"] = r.status
        async with session.post(f"{url}/api/v1/silences", json=silence, headers=auth) as r:
            created = await r.json()
            seen["silence"] = r.status
        async with session.get(f"{url}/api/v1/silences", headers=auth) as r:
            seen["silences"] = [s["id"] for s in (await r.json())["silences"]]
        async with session.delete(f"{url}/api/v1/silences/{created['id']}", headers=auth) as r:
            seen["silence_deleted"] = r.status
        async with session.get(f"{url}/", headers=auth) as r:
            seen["page"] = await r.text()


async def test_surfaces_of_a_running_monitor(tmp_path: Path) -> None:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    await cluster.apply(ChaosRule(venue="okx", kind=ChaosKind.OUTAGE, mode="refused"))
    settings = point_at_sim(
        Settings(
            interval_s=0.1,
            timeout_s=0.1,
            notify=NotifySettings(outbox_path=tmp_path / "o.sqlite3"),
            store=StoreSettings(path=tmp_path / "h.sqlite3"),
            web=WebSettings(port=0, token=TOKEN),
        ),
        cluster.urls,
    )
    stop = asyncio.Event()
    seen: dict[str, Any] = {}

    async def inspect(runtime: app.Runtime) -> None:
        while (await runtime.feed.get()).kind is not AlertKind.FIRING:
            pass
        await runtime.web_up.wait()
        await check_surfaces(f"http://127.0.0.1:{runtime.listening['web']}", seen)
        stop.set()

    try:
        async with asyncio.timeout(15):
            await app.run(settings, clock, stop, inspect)
    finally:
        await cluster.stop()
    assert seen["healthz"] == 200 and seen["readyz"] == 200
    assert seen["status_no_token"] == 401 and seen["silence_no_token"] == 401
    assert {v["venue"] for v in seen["status"]["venues"]} == {
        "binance",
        "okx",
        "bybit",
        "coinbase",
        "kraken",
    }
    states = {v["venue"]: v["state"] for v in seen["status"]["venues"]}
    assert states["okx"] == "down" and states["binance"] == "up"
    assert [a["fingerprint"] for a in seen["alerts"]["active"] if a["announced"]] == [
        "EXCHANGE_DOWN/okx"
    ]
    assert seen["alerts"]["recent"][0]["triage"]["source"] == "rules"
    assert seen["series"] == 200
    assert seen["silence"] == 201 and seen["silence_deleted"] == 200
    assert len(seen["silences"]) == 1 and seen["silences"][0]
    assert "<svg" in seen["page"] and "okx" in seen["page"] and "down" in seen["page"]
    metrics = seen["metrics"]
    for name in (
        "exchange_monitor_probe_duration_seconds_bucket",
        "exchange_monitor_probes_total",
        "exchange_monitor_clock_offset_seconds",
        "exchange_monitor_alerts_firing",
        "exchange_monitor_event_loop_lag_seconds",
        "exchange_monitor_notifications_total",
        "exchange_monitor_probe_phase_seconds",
    ):
        assert name in metrics, name
    if PROMTOOL is None:
        assert not os.environ.get("CI"), "CI installs promtool (Debian package prometheus)"
        pytest.skip("promtool not installed")
    proc = await asyncio.create_subprocess_exec(
        PROMTOOL,
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(metrics.encode())
    assert proc.returncode == 0, (out + err).decode()


def test_web_binds_loopback_by_default() -> None:
    assert WebSettings().host == "127.0.0.1"
