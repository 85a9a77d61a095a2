"""The result subscribers each work alone on a LocalBus, with no detector: the probes'
Prometheus series, the rollups with the history that persists them, and the InfluxDB raw
points. A slow subscriber drops (and counts) its own oldest results."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from monitor.bus.base import Subscription
from monitor.bus.local import LocalBus
from monitor.bus.records import topic_of
from monitor.bus.subscriber import consume
from monitor.clock import pass_turn
from monitor.detect.catalogue import EndpointInfo
from monitor.exchanges import EndpointKind
from monitor.models import AlertEvent, Outcome, Phases, ProbeResult
from monitor.queues import DropOldestQueue
from monitor.store.history import History, StoreSettings, history_writer
from monitor.store.influx import InfluxExporter, InfluxSettings
from monitor.store.rollups import Rollups
from monitor.store.series import ProbeSeries
from tests.fakes import FakeClock
from tests.notify.helpers import receiver

MINUTE = 1_760_000_040.0  # a minute boundary
CATALOGUE = (
    EndpointInfo("okx.time", "okx", "time", EndpointKind.TIME, True),
    EndpointInfo("okx.ticker", "okx", "ticker", EndpointKind.MARKET, True),
)


def result(endpoint: str, t: float, latency_s: float, outcome: Outcome = Outcome.OK) -> ProbeResult:
    return ProbeResult(f"okx.{endpoint}", "okx", endpoint, outcome, t, t, latency_s, 0.0, 0.0)


async def drained(subscription: Subscription[ProbeResult]) -> None:
    """Until the subscriber took every record: `consume` handles what it takes at once."""
    async with asyncio.timeout(2):
        while subscription.qsize():
            await pass_turn()


@contextlib.asynccontextmanager
async def running(
    bus: LocalBus, name: str, handle: Callable[[ProbeResult], None], maxsize: int = 100
) -> AsyncIterator[Subscription[ProbeResult]]:
    subscription = bus.subscribe(ProbeResult, name, maxsize)
    task = asyncio.create_task(consume(subscription, handle))
    try:
        yield subscription
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_series_subscriber_alone() -> None:
    bus, series = LocalBus(), ProbeSeries(CATALOGUE)
    phases = Phases(dns_s=0.001, connect_s=0.002, server_s=None, ttfb_s=0.02, total_s=0.03)
    async with running(bus, "series", series.add) as subscription:
        timed = result("time", MINUTE, 0.03)
        bus.publish(dataclasses.replace(timed, phases=phases, clock_offset_s=0.25))
        bus.publish(dataclasses.replace(result("ticker", MINUTE, 0.2), rate_used_ratio=0.4))
        bus.publish(result("ticker", MINUTE + 1, 3.0, Outcome.TIMEOUT))
        bus.publish(result("unknown", MINUTE, 0.01))  # not catalogued: ignored
        await drained(subscription)
    time, ticker = series.endpoints["okx.time"], series.endpoints["okx.ticker"]
    assert time.latency.count == 1 and ticker.latency.count == 2
    assert ticker.latency.total == 3.2 and sum(ticker.outcome_totals) == 2
    assert ticker.last is not None and ticker.last.outcome is Outcome.TIMEOUT
    venue = series.venues["okx"]
    assert venue.clock_offset_s == 0.25 and venue.rate_used_ratio is None  # last has none
    assert {name: h.count for name, h in venue.phases.items()} == {
        "dns": 1,
        "connect": 1,
        "server": 0,
        "ttfb": 1,
    }
    assert set(series.endpoints) == {"okx.time", "okx.ticker"}


async def test_a_slow_subscriber_drops_and_counts_its_own_oldest() -> None:
    bus, series = LocalBus(), ProbeSeries(CATALOGUE)
    bus.subscribe(ProbeResult, "other", 100)
    async with running(bus, "series", series.add, maxsize=3) as subscription:
        for i in range(5):  # published before the subscriber gets a turn
            bus.publish(result("ticker", MINUTE + i, 0.01 * (i + 1)))
        await drained(subscription)
    assert series.endpoints["okx.ticker"].latency.count == 3
    topic = topic_of(ProbeResult)
    assert bus.drops() == {("other", topic): 0, ("series", topic): 2}


async def test_rollups_and_history_subscribers_alone(tmp_path: Path) -> None:
    bus, rollups, clock = LocalBus(), Rollups(), FakeClock(wall_start_s=MINUTE)
    history = History(StoreSettings(path=tmp_path / "history.sqlite3"))
    await history.open()
    alerts: DropOldestQueue[AlertEvent] = DropOldestQueue(10)
    try:
        async with running(bus, "rollups", rollups.add) as subscription:
            writer = asyncio.create_task(history_writer(history, rollups, alerts, clock, 5.0))
            for i in range(60):
                bus.publish(result("time", MINUTE + i, 0.01 + i / 1000))
            await drained(subscription)
            clock.shift(61.0)  # the minute has ended; no result of the next one came
            await clock.run_for(5.0, sleepers=1)  # one flush
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        (minute,) = await history.series("okx.time", 0.0, 10)
    finally:
        await history.close()
    assert minute.minute_s == MINUTE and minute.count == 60 and minute.errors == 0
    assert minute.max_s == 0.01 + 59 / 1000


async def test_influx_raw_points_subscriber_alone() -> None:
    async with receiver(_no_content) as (url, seen), aiohttp.ClientSession() as session:
        exporter = InfluxExporter(InfluxSettings(enabled=True, url=url, raw_points=True), session)
        bus = LocalBus()
        async with running(bus, "influx", exporter.add_result) as subscription:
            bus.publish(result("time", MINUTE, 0.03))
            bus.publish(result("ticker", MINUTE + 1, 2.0, Outcome.TIMEOUT))
            await drained(subscription)
        await exporter.flush()
        body = seen.get_nowait().body.decode()
    assert body.splitlines() == [
        'probe,venue=okx,endpoint=time latency_s=0.03,outcome="ok" 1760000040',
        'probe,venue=okx,endpoint=ticker latency_s=2.0,outcome="timeout" 1760000041',
    ]


async def _no_content(_: object) -> web.StreamResponse:
    return web.Response(status=204)
