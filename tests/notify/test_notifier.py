"""The notifier on the fake clock: fast first notification then grouping, the storm guard,
retries by time with a stable idempotency key, the fallback after two minutes of failure,
delivery order under a backlog, the breaker's probe, and isolation of a hanging channel."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from monitor.models import AlertEvent, Severity
from monitor.notify.base import ChannelKind, ChannelSpec, DeliveryError, Notification, Sink
from monitor.notify.grouping import Grouper
from monitor.notify.notifier import Notifier
from monitor.notify.outbox import Outbox
from monitor.notify.routing import route
from monitor.retry import BreakerSettings, RetrySettings
from tests.fakes import FakeClock
from tests.notify.helpers import ScriptedSink, event

UNAVAILABLE = DeliveryError("HTTP 503", retryable=True, status=503)


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    clock: FakeClock,
    sinks: Sequence[tuple[ChannelSpec, ScriptedSink]],
    kinds: Mapping[str, ChannelKind] = MappingProxyType({}),
    **options: Any,
) -> AsyncIterator[tuple[Notifier, Outbox]]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    await outbox.open()
    channels: list[tuple[ChannelSpec, ChannelKind, Sink]] = [
        (spec, kinds.get(spec.name, ChannelKind.MACHINE), sink) for spec, sink in sinks
    ]
    settings: dict[str, Any] = {
        "group_window_s": 2.0,
        "retry": RetrySettings(),
        "breaker": BreakerSettings(),
        "rng": random.Random(7),
    }
    notifier = Notifier(channels, outbox, clock, **(settings | options))
    alerts: asyncio.Queue[AlertEvent] = asyncio.Queue()
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(f(), name=n) for n, f in notifier.tasks(alerts)]
            yield notifier, outbox
            for task in tasks:
                task.cancel()
    finally:
        await outbox.close()


class GatedOutbox(Outbox):
    """An outbox whose writes wait for `release`: a stop can land in the middle of one."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    async def put_many(self, rows: Iterable[tuple[Notification, float]]) -> None:
        rows = list(rows)
        self.writing.set()
        await self.release.wait()
        await super().put_many(rows)


async def test_a_stop_during_a_write_keeps_the_batch(tmp_path: Path) -> None:
    """Seen under load in the storm test: SIGTERM while a batch was being written lost it
    (the intake task was cancelled with the batch off the queue and not yet in the outbox)."""
    outbox = GatedOutbox(tmp_path / "outbox.sqlite3")
    await outbox.open()
    sink = ScriptedSink("ops", FakeClock())
    channels: list[tuple[ChannelSpec, ChannelKind, Sink]] = [
        (ChannelSpec(name="ops"), ChannelKind.MACHINE, sink)
    ]
    notifier = Notifier(
        channels,
        outbox,
        FakeClock(),
        group_window_s=2.0,
        retry=RetrySettings(),
        breaker=BreakerSettings(),
    )
    alerts: asyncio.Queue[AlertEvent] = asyncio.Queue()
    for venue in ("okx", "kraken", "bybit"):
        alerts.put_nowait(event(venue=venue))
    factory = dict(notifier.tasks(alerts))["notifier"]
    intake = asyncio.create_task(factory())
    async with asyncio.timeout(2):
        await outbox.writing.wait()
    intake.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await intake
    outbox.release.set()
    await notifier.drain()
    rows = await outbox.due("ops", float("inf"), 10)
    await outbox.close()
    assert sorted(e.venue for row in rows for e in row.notification.events) == [
        "bybit",
        "kraken",
        "okx",
    ]


def venues(attempt: tuple[float, Any]) -> list[str]:
    return [e.venue for e in attempt[1].events]


def test_default_routing_by_severity() -> None:
    kinds = [
        ChannelKind.MACHINE,
        ChannelKind.CHAT,
        ChannelKind.EMAIL,
        ChannelKind.SMS,
        ChannelKind.LOG,
    ]
    channels = [(ChannelSpec(name=k.value), k) for k in kinds]
    expected = {
        Severity.CRITICAL: ["machine", "chat", "email", "sms", "log"],
        Severity.HIGH: ["machine", "chat", "email", "log"],
        Severity.MEDIUM: ["machine", "chat", "log"],
        Severity.LOW: ["machine", "log"],
    }
    for severity, names in expected.items():
        assert route(channels, event(severity=severity)) == names
    only_okx = [(ChannelSpec(name="x", venues=["okx"], exclude_rules=["CLOCK_DRIFT"]), kinds[1])]
    assert route(only_okx, event(venue="okx")) == ["x"]
    assert route(only_okx, event(venue="kraken")) == []
    assert route(only_okx, event(rule="CLOCK_DRIFT")) == []


async def test_critical_goes_at_once_and_what_follows_is_grouped(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = ScriptedSink("ops", clock)
    async with running(tmp_path, clock, [(ChannelSpec(name="ops"), sink)]) as (notifier, _):
        t0 = clock.wall()
        await notifier.accept(event(venue="okx"))
        first = await sink.next()
        assert first[0] == pytest.approx(t0) and venues(first) == [
            "okx"
        ]  # no group window before it
        await clock.run_for(0.5, sleepers=1)
        await notifier.accept(event(venue="kraken"), event(venue="bybit", severity=Severity.HIGH))
        await clock.run_for(1.4, sleepers=1)
        assert sink.attempts.empty()
        await clock.run_for(0.2, sleepers=1)
        second = await sink.next()
        assert second[0] == pytest.approx(t0 + 2.0) and venues(second) == ["kraken", "bybit"]
        await clock.run_for(10, sleepers=1)
        await notifier.accept(event(venue="coinbase", severity=Severity.HIGH))
        await clock.run_for(2.1, sleepers=1)
        alone = await sink.next()  # not critical: it waits for the window
        assert alone[0] == pytest.approx(t0 + 12.1 + 2.0) and venues(alone) == ["coinbase"]


def test_storm_guard_holds_one_summary() -> None:
    grouper = Grouper("ops", window_s=1.0, max_per_minute=2)
    groups = [grouper.add(event(venue=f"v{i}"), now_s=100.0 + 5 * i) for i in range(12)]
    keys = list(dict.fromkeys(g.key for g in groups))
    assert len(keys) == 3  # two ordinary messages, then everything else in one
    summary = groups[-1]
    assert [e.venue for e in summary.events] == [f"v{i}" for i in range(2, 12)]
    assert summary.flush_at_s == 100.0 + 60  # held until the first minute frees up
    later = grouper.add(event(severity=Severity.HIGH), now_s=400.0)  # the storm is over
    assert later.key not in keys and later.flush_at_s == 401.0


async def test_retries_back_off_on_the_clock_with_one_key(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = ScriptedSink("ops", clock)
    sink.error = UNAVAILABLE
    async with running(tmp_path, clock, [(ChannelSpec(name="ops"), sink)]) as (notifier, box):
        await notifier.accept(event())
        await clock.run_for(600, sleepers=1)  # ten minutes of virtual time, no real waiting
        sink.error = None
        await clock.run_for(90, sleepers=1)
        assert await box.counts() == {"pending": 0, "dead": 0}
    attempts = [sink.attempts.get_nowait() for _ in range(sink.attempts.qsize())]
    assert len(attempts) > 12  # the old policy gave up after 12
    assert len({n.key for _, n in attempts}) == 1
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(attempts)]
    assert max(gaps) <= 60.0  # the backoff ceiling
    assert len(sink.delivered) == 1
    assert notifier.channels["ops"].stats.failed == len(attempts) - 1


async def test_receiver_outage_of_15_minutes_loses_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    primary, backup = ScriptedSink("primary", clock), ScriptedSink("backup", clock)
    primary.error = UNAVAILABLE
    specs = [
        (ChannelSpec(name="primary", fallback="backup"), primary),
        (ChannelSpec(name="backup", venues=["nowhere"]), backup),  # only as the fallback
    ]
    async with running(tmp_path, clock, specs) as (notifier, box):
        t0 = clock.wall()
        await notifier.accept(event())
        await clock.run_for(119.9, sleepers=2)
        assert not backup.delivered
        await clock.run_for(0.2, sleepers=2)
        ((copied_at, copy),) = backup.delivered  # after two minutes, breaker open or not
        assert copied_at == pytest.approx(t0 + 120.0) and copy.key.endswith(".backup")
        await clock.run_for(900 - 120.1, sleepers=2)
        assert not primary.delivered
        primary.error = None
        await clock.run_for(120, sleepers=2)
        assert await box.counts() == {"pending": 0, "dead": 0}
        assert (await notifier.backlog()) == {"primary": (0, 0.0), "backup": (0, 0.0)}
    ((_, delivered),) = primary.delivered
    assert delivered.key == copy.key.removesuffix(".backup")


async def test_retried_for_max_retry_s_then_dead(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = ScriptedSink("ops", clock)
    sink.error = UNAVAILABLE
    retry = RetrySettings(max_retry_s=3600)
    async with running(tmp_path, clock, [(ChannelSpec(name="ops"), sink)], retry=retry) as (
        notifier,
        box,
    ):
        await notifier.accept(event())
        await clock.run_for(3000, sleepers=1)
        assert (await notifier.backlog())["ops"][0] == 1
        assert 2900 <= (await notifier.backlog())["ops"][1] <= 3000  # the oldest pending's age
        await clock.run_for(700, sleepers=1)
        assert await box.counts() == {"pending": 0, "dead": 1}


async def test_backlog_never_delays_new_alerts_and_the_probe_is_the_oldest(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    sink = ScriptedSink("ops", clock)
    sink.error = UNAVAILABLE
    retry = RetrySettings(base_s=0.1, cap_s=0.1)
    async with running(tmp_path, clock, [(ChannelSpec(name="ops"), sink)], retry=retry) as (
        notifier,
        _,
    ):
        for i in range(5):  # a backlog: five high alerts, one message each
            await notifier.accept(event(venue=f"old{i}", severity=Severity.HIGH))
            await clock.run_for(3, sleepers=1)
        await clock.run_for(10, sleepers=1)  # the breaker is open now
        sink.error = None
        await notifier.accept(event(venue="new"))
        await clock.run_for(60, sleepers=1)
    order = [n.events[0].venue for _, n in sink.delivered]
    assert order == ["old0", "new", "old4", "old3", "old2", "old1"]


async def test_client_error_dead_letters_to_fallback(tmp_path: Path) -> None:
    clock = FakeClock()
    primary, backup = ScriptedSink("primary", clock), ScriptedSink("backup", clock)
    primary.error = DeliveryError("HTTP 400", retryable=False, status=400)
    specs = [
        (ChannelSpec(name="primary", fallback="backup"), primary),
        (ChannelSpec(name="backup", venues=["nowhere"]), backup),
    ]
    async with running(tmp_path, clock, specs) as (notifier, box):
        await notifier.accept(event())
        rejected = await primary.next()  # 400: no retry
        rescued = await backup.next()
        assert rescued[1].key == rejected[1].key + ".backup"
        await clock.run_for(1, sleepers=2)
        assert notifier.channels["primary"].stats.dead == 1
        assert (await box.counts())["dead"] == 1


async def test_hanging_channel_never_delays_the_others(tmp_path: Path) -> None:
    clock = FakeClock()
    slow, fast = ScriptedSink("slow", clock), ScriptedSink("fast", clock)
    slow.hang = True
    specs = [(ChannelSpec(name="slow", timeout_s=30), slow), (ChannelSpec(name="fast"), fast)]
    async with running(tmp_path, clock, specs) as (notifier, _):
        await notifier.accept(event())
        await slow.next()  # the slow channel's attempt is hanging right now...
        delivered = await fast.next()  # ...and the fast one delivers regardless
        assert venues(delivered) == ["okx"]
