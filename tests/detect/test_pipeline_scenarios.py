"""Each chaos scenario, through the real pipeline (simulator -> probes -> detector), raises
exactly the expected alert, fast for hard failures, and resolves after recovery."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from monitor import app
from monitor.clock import SystemClock
from monitor.exchanges import EXCHANGES
from monitor.models import AlertEvent, AlertKind, Severity
from monitor.settings import ExchangeSettings, NotifySettings, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.timeline import Timeline, TimelineStep, play
from monitor.sim.wiring import point_at_sim
from monitor.store.history import StoreSettings
from monitor.tasks import Task
from monitor.web.config import WebSettings

INTERVAL_S = 0.1
VENUES = tuple(EXCHANGES)


@dataclasses.dataclass
class Harness:
    sim: SimCluster
    events: asyncio.Queue[AlertEvent]
    seen: list[AlertEvent] = dataclasses.field(default_factory=list)

    async def expect(self, kind: AlertKind, fingerprint: str, within_s: float = 10) -> AlertEvent:
        """The next event of that kind and fingerprint (a safety timeout only fails a hang)."""
        async with asyncio.timeout(within_s):
            while True:
                event = await self.events.get()
                self.seen.append(event)
                if event.kind is kind and event.fingerprint == fingerprint:
                    return event

    def fired(self) -> list[str]:
        return [e.fingerprint for e in self.seen if e.kind is AlertKind.FIRING]


@contextlib.asynccontextmanager
async def pipeline(timeline: Timeline | None = None, **overrides: Any) -> AsyncIterator[Harness]:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    scratch = tempfile.TemporaryDirectory()
    notify = NotifySettings(outbox_path=Path(scratch.name) / "outbox.sqlite3")
    store = StoreSettings(path=Path(scratch.name) / "history.sqlite3")
    values: dict[str, Any] = {
        "interval_s": INTERVAL_S,
        "timeout_s": INTERVAL_S,
        "notify": notify,
        "store": store,
        "web": WebSettings(port=0),  # a fixed port collides with parallel runs
        **overrides,
    }
    settings = point_at_sim(Settings(**values), cluster.urls)
    harness = Harness(cluster, asyncio.Queue())
    stop = asyncio.Event()

    async def forward(runtime: app.Runtime) -> None:
        while True:
            harness.events.put_nowait(await runtime.feed.get())

    extras: list[Task] = []
    if timeline is not None:
        extras.append(("chaos", lambda: play(timeline, cluster, clock)))
    runner = asyncio.create_task(app.run(settings, clock, stop, forward, extras))
    try:
        yield harness
    finally:
        stop.set()
        await runner
        await cluster.stop()
        scratch.cleanup()


HARD = [
    (ChaosRule(venue="okx", kind=ChaosKind.OUTAGE, mode="refused"), "EXCHANGE_DOWN/okx"),
    (
        ChaosRule(venue="okx", endpoint="ticker", kind=ChaosKind.OUTAGE, mode="reset"),
        "CONSECUTIVE_FAILURES/okx/ticker",
    ),
    (
        ChaosRule(venue="binance", endpoint="time", kind=ChaosKind.HTTP_5XX, status=503),
        "CONSECUTIVE_FAILURES/binance/time",
    ),
    (
        ChaosRule(venue="coinbase", endpoint="ticker", kind=ChaosKind.HANG),
        "CONSECUTIVE_FAILURES/coinbase/ticker",
    ),
    (ChaosRule(venue="kraken", kind=ChaosKind.ERROR_200), "EXCHANGE_DOWN/kraken"),
    (
        ChaosRule(venue="okx", endpoint="ticker", kind=ChaosKind.ERROR_200),
        "EXCHANGE_ERROR/okx/ticker",
    ),
    (
        ChaosRule(venue="binance", endpoint="time", kind=ChaosKind.MALFORMED_JSON),
        "BAD_PAYLOAD/binance/time",
    ),
    (
        ChaosRule(
            venue="bybit", endpoint="orderbook", kind=ChaosKind.OVERSIZED, size_bytes=1 << 18
        ),
        "BAD_PAYLOAD/bybit/orderbook",
    ),
]


@pytest.mark.parametrize(("rule", "fingerprint"), HARD, ids=[f for _, f in HARD])
async def test_hard_failure_alerts_within_three_probes_and_resolves(
    rule: ChaosRule, fingerprint: str
) -> None:
    async with pipeline(body_max_bytes=1 << 16) as h:
        await h.sim.apply(rule)
        fired = await h.expect(AlertKind.FIRING, fingerprint)
        facts = fired.evidence.facts
        streak = facts.longest_streak if facts.longest_streak is not None else facts.streak
        assert streak == 3  # the third failed probe of an endpoint raised it
        await h.sim.clear()
        await h.expect(AlertKind.RESOLVED, fingerprint)
        assert h.fired() == [fingerprint]


SOFT = [
    (
        ChaosRule(venue="bybit", kind=ChaosKind.RATE_LIMIT, retry_after_s=1),
        "RATE_LIMITED/bybit",
        Severity.HIGH,
    ),
    (
        ChaosRule(venue="binance", kind=ChaosKind.BAN, retry_after_s=1),
        "RATE_LIMITED/binance",
        Severity.CRITICAL,
    ),
    (ChaosRule(venue="coinbase", kind=ChaosKind.MAINTENANCE), "MAINTENANCE/coinbase", Severity.LOW),
    (
        ChaosRule(venue="okx", kind=ChaosKind.SCHEDULED_MAINTENANCE, starts_in_s=600),
        "MAINTENANCE_SCHEDULED/okx",
        Severity.LOW,
    ),
    (
        ChaosRule(venue="bybit", kind=ChaosKind.SCHEDULED_MAINTENANCE, starts_in_s=600),
        "MAINTENANCE_SCHEDULED/bybit",
        Severity.LOW,
    ),
    (ChaosRule(venue="kraken", kind=ChaosKind.CANCEL_ONLY), "MAINTENANCE/kraken", Severity.LOW),
    (
        ChaosRule(venue="binance", endpoint="time", kind=ChaosKind.CLOCK_DRIFT, clock_ms=800),
        "CLOCK_DRIFT/binance/time",
        Severity.MEDIUM,
    ),
    (
        ChaosRule(venue="bybit", endpoint="time", kind=ChaosKind.CLOCK_DRIFT, clock_ms=-900),
        "CLOCK_DRIFT/bybit/time",
        Severity.CRITICAL,
    ),
    (
        ChaosRule(venue="bybit", endpoint="orderbook", kind=ChaosKind.STALE_DATA),
        "STALE_DATA/bybit/orderbook",
        Severity.HIGH,
    ),
]


@pytest.mark.parametrize(("rule", "fingerprint", "severity"), SOFT, ids=[f for _, f, _ in SOFT])
async def test_scenario_raises_exactly_its_alert_and_resolves(
    rule: ChaosRule, fingerprint: str, severity: Severity
) -> None:
    async with pipeline() as h:
        await h.sim.apply(rule)
        fired = await h.expect(AlertKind.FIRING, fingerprint)
        assert fired.severity is severity
        await h.sim.clear()
        await h.expect(AlertKind.RESOLVED, fingerprint)
        assert h.fired() == [fingerprint]


async def test_all_venues_down_is_one_local_network_alert() -> None:
    # The simulator serves every venue from one address: refused connections there are that
    # host's incident, unless the control target (a loopback port nobody listens on) fails too.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        async with pipeline(control_target=f"127.0.0.1:{closed.getsockname()[1]}") as h:
            await _one_local_network_alert(h)


async def test_all_venues_down_on_one_host_are_their_own_incidents() -> None:
    async with pipeline() as h:
        for venue in VENUES:
            await h.sim.apply(ChaosRule(venue=venue, kind=ChaosKind.OUTAGE, mode="refused"))
        each = {f"EXCHANGE_DOWN/{venue}" for venue in VENUES}
        async with asyncio.timeout(10):
            while not each <= set(h.fired()):
                h.seen.append(await h.events.get())
        assert "LOCAL_NETWORK/monitor" not in h.fired()


async def _one_local_network_alert(h: Harness) -> None:
    for venue in VENUES:
        await h.sim.apply(ChaosRule(venue=venue, kind=ChaosKind.OUTAGE, mode="refused"))
    await h.expect(AlertKind.FIRING, "LOCAL_NETWORK/monitor")
    await h.sim.clear()
    await h.expect(AlertKind.RESOLVED, "LOCAL_NETWORK/monitor")
    assert h.fired() == ["LOCAL_NETWORK/monitor"]


async def test_latency_spike_after_a_baseline() -> None:
    # The timeline leaves 6 s (about 60 probes) of healthy baseline before the spike.
    spike = TimelineStep(
        at_s=6.0,
        duration_s=4.0,
        venue="binance",
        endpoint="depth",
        kind=ChaosKind.LATENCY_SPIKE,
        latency_ms=80,
    )
    async with pipeline(Timeline(steps=[spike])) as h:
        await h.expect(AlertKind.FIRING, "LATENCY_SPIKE/binance/depth", within_s=20)
        await h.expect(AlertKind.RESOLVED, "LATENCY_SPIKE/binance/depth", within_s=20)
        assert h.fired() == ["LATENCY_SPIKE/binance/depth"]


async def test_scheduled_maintenance_is_announced_and_its_window_stays_quiet() -> None:
    rule = ChaosRule(venue="okx", kind=ChaosKind.SCHEDULED_MAINTENANCE, starts_in_s=1, window_s=2)
    async with pipeline() as h:
        await h.sim.apply(rule)
        await h.expect(AlertKind.FIRING, "MAINTENANCE_SCHEDULED/okx")
        await h.expect(AlertKind.RESOLVED, "MAINTENANCE_SCHEDULED/okx")  # the window is over
        assert set(h.fired()) <= {"MAINTENANCE_SCHEDULED/okx", "MAINTENANCE/okx"}


SYMBOLS = [
    ("binance", "BTCUSDT"),
    ("okx", "BTC-USDT"),
    ("bybit", "BTCUSDT"),
    ("kraken", "XBTUSD"),
    ("coinbase", "ETH-USD"),
]


@pytest.mark.parametrize(("venue", "symbol"), SYMBOLS)
async def test_a_symbol_halt_raises_symbol_halted(venue: str, symbol: str) -> None:
    table = ExchangeSettings(symbols=[symbol], symbols_interval_s=INTERVAL_S)
    fingerprint = f"SYMBOL_HALTED/{venue}/symbol:{symbol}"
    async with pipeline(exchanges={venue: table}) as h:
        await h.sim.apply(ChaosRule(venue=venue, kind=ChaosKind.SYMBOL_HALT))
        fired = await h.expect(AlertKind.FIRING, fingerprint)
        assert fired.severity is Severity.HIGH
        await h.sim.clear()
        await h.expect(AlertKind.RESOLVED, fingerprint)
        assert h.fired() == [fingerprint]
