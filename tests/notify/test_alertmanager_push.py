"""Push to the real Alertmanager (Debian package prometheus-alertmanager, installed by
.ci/run): the alert must be visible in its /api/v2/alerts."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from monitor.clock import SystemClock
from monitor.models import AlertKind
from monitor.notify.alertmanager import AlertmanagerSink, AlertmanagerSpec
from monitor.notify.base import SinkContext
from tests.notify.helpers import event, notification
from tests.ports import free_port

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
CONFIG = """
route:
  receiver: blackhole
receivers:
  - name: blackhole
"""
# Outside CI a developer without the package skips this test; CI (which installs it) never does.
pytestmark = pytest.mark.skipif(
    BINARY is None and not os.environ.get("CI"), reason="prometheus-alertmanager not installed"
)


@pytest.fixture
async def alertmanager(tmp_path: Path) -> AsyncIterator[str]:
    assert BINARY is not None
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        BINARY,
        f"--config.file={config}",
        f"--storage.path={tmp_path}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(20):
            while True:  # ready when it answers: poll its readiness endpoint
                try:
                    async with session.get(f"{url}/-/ready") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await SystemClock().sleep(0.1)
        yield url
    finally:
        proc.terminate()
        await proc.wait()


async def alerts(session: aiohttp.ClientSession, url: str) -> list[dict[str, object]]:
    async with session.get(f"{url}/api/v2/alerts", params={"active": "true"}) as response:
        data: list[dict[str, object]] = await response.json()
        return data


async def test_pushed_alert_is_visible_then_resolved(alertmanager: str) -> None:
    async with aiohttp.ClientSession() as session:
        sink = AlertmanagerSink(
            AlertmanagerSpec(name="am", url=alertmanager), SinkContext(session, SystemClock())
        )
        await sink.send(notification(event(endpoint="ticker")))
        active = await alerts(session, alertmanager)
        assert len(active) == 1
        assert active[0]["labels"] == {
            "alertname": "EXCHANGE_DOWN",
            "severity": "critical",
            "venue": "okx",
            "endpoint": "ticker",
            "source": "exchange-monitor",
        }
        await sink.send(notification(event(endpoint="ticker", kind=AlertKind.RESOLVED)))
        assert await alerts(session, alertmanager) == []
