"""A storm's durability: how long 1,000 alert events take from being announced (put on the
notifier's queue by the detector) to being durable (committed to the outbox, the moment the
notifier announces them on), with the real outbox (SQLite, WAL, synchronous=FULL) and two
webhook channels delivering to a local receiver meanwhile.

    python -m bench.storm [--count 1000] [--channels 2]

Target: every event durable within 1 s of being announced.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from bench.service import http_app
from monitor.clock import SystemClock
from monitor.facts import Facts
from monitor.models import AlertEvent, AlertKind, Evidence, Severity
from monitor.notify.base import ChannelKind, ChannelSpec, Sink, SinkContext
from monitor.notify.notifier import Notifier
from monitor.notify.outbox import Outbox
from monitor.notify.webhook import WebhookSink, WebhookSpec
from monitor.retry import BreakerSettings, RetrySettings
from monitor.settings import NotifySettings

CLOCK = SystemClock()
TARGET_S = 1.0


def alert(i: int, now_s: float) -> AlertEvent:
    evidence = Evidence({"samples": 20}, ("connect_error",) * 3, ("refused",) * 3, Facts(streak=3))
    fingerprint = f"CONSECUTIVE_FAILURES/v{i % 50}/e{i}"
    return AlertEvent(
        AlertKind.FIRING,
        fingerprint,
        "CONSECUTIVE_FAILURES",
        Severity.CRITICAL,
        f"v{i % 50}",
        f"e{i}",
        "3 failures in a row",
        now_s,
        now_s,
        evidence,
    )


def _receiver() -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.post("/{channel}")
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response()

    return routes


async def measure(root: Path, count: int, channels_n: int) -> dict[str, Any]:
    outbox = Outbox(root / "storm-outbox.sqlite3")
    await outbox.open()
    defaults = NotifySettings()
    async with http_app(_receiver(), 64 << 20) as url, aiohttp.ClientSession() as session:
        ctx = SinkContext(session, CLOCK)
        specs = [WebhookSpec(name=f"c{i}", url=f"{url}/c{i}") for i in range(channels_n)]
        channels: list[tuple[ChannelSpec, ChannelKind, Sink]] = [
            (spec, ChannelKind.MACHINE, WebhookSink(spec, ctx)) for spec in specs
        ]
        notifier = Notifier(
            channels,
            outbox,
            CLOCK,
            group_window_s=defaults.group_window_s,
            retry=RetrySettings(),
            breaker=BreakerSettings(),
            rng=random.Random(1),
        )
        durable = notifier.subscribe(count + 1)
        alerts: asyncio.Queue[AlertEvent] = asyncio.Queue()
        tasks = [asyncio.create_task(f(), name=n) for n, f in notifier.tasks(alerts)]
        announced: dict[str, float] = {}
        for i in range(count):  # announced as the detector does: all in one evaluation pass
            event = alert(i, CLOCK.wall())
            announced[event.fingerprint] = CLOCK.monotonic()
            alerts.put_nowait(event)
        latencies: list[float] = []
        async with asyncio.timeout(30):
            while len(latencies) < count:
                event = await durable.get()
                latencies.append(CLOCK.monotonic() - announced[event.fingerprint])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await outbox.close()
    latencies.sort()
    return {
        "events": count,
        "channels": channels_n,
        "p50_ms": round(latencies[count // 2] * 1000, 1),
        "p99_ms": round(latencies[int(count * 0.99) - 1] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "ok": latencies[-1] <= TARGET_S,
    }


def markdown(report: dict[str, Any]) -> str:
    verdict = "PASS" if report["ok"] else "FAIL"
    return (
        f"Storm durability ({report['events']} alert events announced at once, "
        f"{report['channels']} webhook channels): announced -> durable p50 {report['p50_ms']} ms, "
        f"p99 {report['p99_ms']} ms, max {report['max_ms']} ms: {verdict} (< {TARGET_S:g} s)\n"
    )


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(description="alert storm: announced -> durable")
    options.add_argument("--count", type=int, default=1000)
    options.add_argument("--channels", type=int, default=2)
    return options


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="exchange-monitor-storm-") as root:
        report = await measure(Path(root), args.count, args.channels)
    print(orjson.dumps(report).decode(), flush=True)
    return report


if __name__ == "__main__":
    print(markdown(asyncio.run(run(parser().parse_args()))), end="")
