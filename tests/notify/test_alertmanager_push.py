"""Push to the real Alertmanager (Debian package prometheus-alertmanager, installed by
.ci/run): the alert must be visible in its /api/v2/alerts."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.clock import Clock, SystemClock
from monitor.models import AlertKind, Severity
from monitor.notify.alertmanager import AlertmanagerSink, AlertmanagerSpec
from monitor.notify.base import SinkContext
from tests.fakes import FakeClock
from tests.notify.helpers import event, notification
from tests.ports import free_port

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
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


class Alertmanager:
    """A real Alertmanager on a fixed loopback port, which a test can restart."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "alertmanager.yml"
        self.config.write_text(CONFIG)
        self.storage = tmp_path
        self.url = f"http://127.0.0.1:{free_port()}"
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        assert BINARY is not None
        self._proc = await asyncio.create_subprocess_exec(
            BINARY,
            f"--config.file={self.config}",
            f"--storage.path={self.storage}",
            f"--web.listen-address={self.url.removeprefix('http://')}",
            "--cluster.listen-address=",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with aiohttp.ClientSession() as session, asyncio.timeout(20):
            while True:  # ready when it answers: poll its readiness endpoint
                try:
                    async with session.get(f"{self.url}/-/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await SystemClock().sleep(0.1)

    async def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            await self._proc.wait()
            self._proc = None


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[Alertmanager]:
    running = Alertmanager(tmp_path)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def alertmanager(manager: Alertmanager) -> str:
    return manager.url


async def alerts(session: aiohttp.ClientSession, url: str) -> list[dict[str, Any]]:
    async with session.get(f"{url}/api/v2/alerts", params={"active": "true"}) as response:
        data: list[dict[str, Any]] = await response.json()
        return data


def names(active: list[dict[str, Any]]) -> list[str]:
    return sorted(a["labels"]["alertname"] for a in active)


def sink_for(
    url: str, session: aiohttp.ClientSession, clock: Clock, **options: Any
) -> AlertmanagerSink:
    return AlertmanagerSink(
        AlertmanagerSpec(name="am", url=url, **options), SinkContext(session, clock)
    )


async def test_pushed_alert_is_visible_then_resolved(alertmanager: str) -> None:
    async with aiohttp.ClientSession() as session:
        sink = sink_for(alertmanager, session, SystemClock())
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


async def test_escalation_leaves_exactly_one_active_alert(alertmanager: str) -> None:
    # Fails before: Alertmanager held the medium and the critical alert, and after the
    # resolution the medium one stayed active (endsAt 24 h away).
    async with aiohttp.ClientSession() as session:
        sink = sink_for(alertmanager, session, SystemClock())
        medium = event(rule="CLOCK_DRIFT", severity=Severity.MEDIUM)
        await sink.send(notification(medium))
        escalated = dataclasses.replace(
            medium, kind=AlertKind.UPDATED, severity=Severity.CRITICAL, at_s=medium.at_s + 1
        )
        await sink.send(notification(escalated))
        active = await alerts(session, alertmanager)
        assert [a["labels"]["severity"] for a in active] == ["critical"]
        resolved = dataclasses.replace(escalated, kind=AlertKind.RESOLVED, at_s=medium.at_s + 2)
        await sink.send(notification(resolved))
        assert await alerts(session, alertmanager) == []


async def test_restarted_alertmanager_has_the_firing_alert_back_within_resend_s(
    manager: Alertmanager,
) -> None:
    # Fails before: only the hourly reminder re-sent a firing alert.
    clock = FakeClock(wall_start_s=SystemClock().wall())
    async with aiohttp.ClientSession() as session:
        sink = sink_for(manager.url, session, clock, resend_s=60)
        loop = asyncio.create_task(sink.background())
        try:
            await clock.wait_sleepers(1)
            await sink.send(notification(event()))
            await manager.stop()
            await manager.start()
            assert await alerts(session, manager.url) == []
            await clock.run_for(60.001, sleepers=1)  # one resend_s (its deadline included)
            assert names(await alerts(session, manager.url)) == ["EXCHANGE_DOWN", "Watchdog"]
        finally:
            loop.cancel()


async def test_a_stopped_monitor_lets_its_alerts_and_the_watchdog_expire(
    alertmanager: str,
) -> None:
    # Fails before: no Watchdog, and a dead monitor's alert stayed active for a day.
    clock = SystemClock()  # Alertmanager expires alerts on its own wall clock
    async with aiohttp.ClientSession() as session:
        sink = sink_for(alertmanager, session, clock, resend_s=0.25)
        loop = asyncio.create_task(sink.background())
        try:
            await sink.send(notification(event()))
            async with asyncio.timeout(5):
                while len(await alerts(session, alertmanager)) < 2:
                    await clock.sleep(0.05)
        finally:
            loop.cancel()  # the monitor stops
        async with asyncio.timeout(10):  # endsAt was 4 x 0.25 s ahead
            while await alerts(session, alertmanager):
                await clock.sleep(0.1)


@pytest.mark.skipif(AMTOOL is None, reason="amtool (prometheus-alertmanager) not installed")
@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=Watchdog", "severity=none"], "deadmansswitch"),
        (["alertname=EXCHANGE_DOWN"], "default"),
    ],
)
async def test_deploy_config_routes_the_watchdog_to_the_dead_mans_switch(
    labels: list[str], receiver: str
) -> None:
    assert AMTOOL is not None
    config = Path(__file__).parents[2] / "deploy" / "alertmanager.yml"
    proc = await asyncio.create_subprocess_exec(
        AMTOOL,
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        *labels,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert out.decode().strip() == receiver
