"""The notifier end to end over real sockets: grouping, storm guard, retries with a stable
idempotency key, dead-letter and fallback, and isolation of a hanging channel."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web
from pydantic import SecretStr

from monitor.clock import SystemClock
from monitor.models import AlertEvent, AlertKind, Severity
from monitor.notify.base import ChannelKind, ChannelSpec, Sink, SinkContext
from monitor.notify.breaker import BreakerSettings
from monitor.notify.grouping import Grouper
from monitor.notify.notifier import Notifier
from monitor.notify.outbox import Outbox
from monitor.notify.retry import RetrySettings
from monitor.notify.routing import route
from monitor.notify.webhook import WebhookSink, WebhookSpec
from tests.notify.helpers import Captured, event, receiver

FAST_RETRY = RetrySettings(base_s=0.01, cap_s=0.05, max_attempts=4, max_total_s=30)


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, specs: Sequence[WebhookSpec], *, window_s: float = 0.05
) -> AsyncIterator[tuple[Notifier, Outbox, asyncio.Queue[AlertEvent]]]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    await outbox.open()
    alerts: asyncio.Queue[AlertEvent] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        ctx = SinkContext(session, SystemClock())
        channels: list[tuple[ChannelSpec, ChannelKind, Sink]] = [
            (spec, ChannelKind.MACHINE, WebhookSink(spec, ctx)) for spec in specs
        ]
        notifier = Notifier(
            channels,
            outbox,
            SystemClock(),
            group_window_s=window_s,
            retry=FAST_RETRY,
            breaker=BreakerSettings(threshold=100),
        )
        try:
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(f(), name=n) for n, f in notifier.tasks(alerts)]
                yield notifier, outbox, alerts
                for task in tasks:
                    task.cancel()
        finally:
            await outbox.close()


async def take(seen: asyncio.Queue[Captured], n: int) -> list[Captured]:
    async with asyncio.timeout(5):
        return [await seen.get() for _ in range(n)]


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


async def test_simultaneous_alerts_are_one_message(tmp_path: Path) -> None:
    spec = WebhookSpec(name="ops", url="http://127.0.0.1:9")
    async with receiver() as (url, seen):
        spec = spec.model_copy(update={"url": SecretStr(url)})
        async with running(tmp_path, [spec]) as (_, _, alerts):
            for venue in ("okx", "kraken", "bybit"):
                alerts.put_nowait(event(venue=venue))
            (got,) = await take(seen, 1)
            venues = [a["venue"] for a in orjson.loads(got.body)["alerts"]]
            assert venues == ["okx", "kraken", "bybit"]
            assert seen.empty()


def test_storm_guard_holds_one_summary() -> None:
    grouper = Grouper("ops", window_s=1.0, max_per_minute=2)
    groups = [grouper.add(event(venue=f"v{i}"), now_s=100.0 + 5 * i) for i in range(12)]
    keys = list(dict.fromkeys(g.key for g in groups))
    assert len(keys) == 3  # two ordinary messages, then everything else in one
    summary = groups[-1]
    assert [e.venue for e in summary.events] == [f"v{i}" for i in range(2, 12)]
    assert summary.flush_at_s == 100.0 + 60  # held until the first minute frees up
    later = grouper.add(event(), now_s=400.0)  # the storm is over: back to normal
    assert later.key not in keys and later.flush_at_s == 401.0


async def test_retries_keep_the_idempotency_key(tmp_path: Path) -> None:
    answers = iter([503, 500, 200])

    async def flaky(_: Captured) -> web.StreamResponse:
        return web.Response(status=next(answers, 200))

    async with (
        receiver(flaky) as (url, seen),
        running(tmp_path, [WebhookSpec(name="ops", url=url)]) as (notifier, outbox, alerts),
    ):
        alerts.put_nowait(event())
        attempts = await take(seen, 3)
        assert len({a.headers["webhook-id"] for a in attempts}) == 1
        alerts.put_nowait(event(venue="kraken"))  # a channel delivers in order: when this
        await take(seen, 1)  # one arrives, the first one's success has been recorded
        assert await outbox.counts() == {"pending": 1, "dead": 0}
        assert notifier.channels["ops"].stats.failed == 2


async def test_client_error_dead_letters_to_fallback(tmp_path: Path) -> None:
    async def reject(_: Captured) -> web.StreamResponse:
        return web.Response(status=400)

    async with receiver(reject) as (bad_url, bad_seen), receiver() as (good_url, good_seen):
        primary = WebhookSpec(
            name="primary", url=bad_url, fallback="backup", min_severity=Severity.LOW
        )
        backup = WebhookSpec(name="backup", url=good_url, venues=["nowhere"])  # only via fallback
        async with running(tmp_path, [primary, backup]) as (notifier, outbox, alerts):
            alerts.put_nowait(event())
            (rejected,) = await take(bad_seen, 1)  # 400: no retry
            (rescued,) = await take(good_seen, 1)
            assert rescued.headers["webhook-id"] == rejected.headers["webhook-id"] + ".backup"
            assert notifier.channels["primary"].stats.dead == 1
            assert (await outbox.counts())["dead"] == 1


async def test_hanging_channel_never_delays_the_others(tmp_path: Path) -> None:
    never = asyncio.Event()

    async def hang(_: Captured) -> web.StreamResponse:
        await never.wait()
        return web.Response()

    async with receiver(hang) as (slow_url, slow_seen), receiver() as (fast_url, fast_seen):
        slow = WebhookSpec(name="slow", url=slow_url, timeout_s=30)
        fast = WebhookSpec(name="fast", url=fast_url)
        async with running(tmp_path, [slow, fast]) as (_, _, alerts):
            alerts.put_nowait(event())
            alerts.put_nowait(event(kind=AlertKind.RESOLVED))
            await take(slow_seen, 1)  # the slow channel's request is hanging right now...
            delivered = await take(fast_seen, 1)  # ...and the fast one delivers regardless
            assert len(orjson.loads(delivered[0].body)["alerts"]) == 2
