"""A notifier process for the storm test, with the default grouping, retry and breaker.

    python -m tests.notify.storm_process OUTBOX URL COUNT

Two webhook channels, "a" (URL/a) and "b" (URL/b). A storm of COUNT critical alerts is put
on the alert queue in bursts, as a detector announces them; the process prints "put FP"
after each put and "durable FP" when the notifier announces it (once it is in the outbox).
Then it delivers until the outbox is empty, prints "drained" and exits. SIGTERM stops it
as the service stops: the tasks end, what is still queued is persisted. The test kills it
with SIGKILL or SIGTERM at a random point.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp

from monitor.clock import SystemClock
from monitor.models import AlertEvent
from monitor.notify.base import ChannelKind, ChannelSpec, Sink, SinkContext
from monitor.notify.notifier import Notifier
from monitor.notify.outbox import Outbox
from monitor.notify.webhook import WebhookSink, WebhookSpec
from monitor.queues import DropOldestQueue
from monitor.retry import BreakerSettings, RetrySettings
from monitor.settings import NotifySettings
from tests.notify.helpers import event

BURST = 25


async def storm(alerts: asyncio.Queue[AlertEvent], count: int, clock: SystemClock) -> None:
    for i in range(count):
        alert = event(venue=f"v{i}")
        alerts.put_nowait(alert)
        print(f"put {alert.fingerprint}", flush=True)
        if i % BURST == BURST - 1:
            await clock.sleep(0.001)  # the detector announces in bursts, tick by tick


async def announce(feed: DropOldestQueue[AlertEvent]) -> None:
    while True:
        print(f"durable {(await feed.get()).fingerprint}", flush=True)


async def storm_then_drain(
    alerts: asyncio.Queue[AlertEvent], count: int, outbox: Outbox, clock: SystemClock
) -> None:
    await storm(alerts, count, clock)
    while not alerts.empty() or (await outbox.counts())["pending"]:
        await clock.sleep(0.05)
    print("drained", flush=True)


async def main(path: Path, url: str, count: int) -> None:
    clock, defaults = SystemClock(), NotifySettings()
    outbox = Outbox(path)
    await outbox.open()
    specs = [WebhookSpec(name=name, url=f"{url}/{name}") for name in ("a", "b")]
    alerts: asyncio.Queue[AlertEvent] = asyncio.Queue()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with aiohttp.ClientSession() as session:
        ctx = SinkContext(session, clock)
        channels: list[tuple[ChannelSpec, ChannelKind, Sink]] = [
            (spec, ChannelKind.MACHINE, WebhookSink(spec, ctx)) for spec in specs
        ]
        notifier = Notifier(
            channels,
            outbox,
            clock,
            group_window_s=defaults.group_window_s,
            retry=RetrySettings(),
            breaker=BreakerSettings(),
        )
        feed = notifier.subscribe(100_000)
        tasks = [asyncio.create_task(f(), name=n) for n, f in notifier.tasks(alerts)]
        tasks.append(asyncio.create_task(announce(feed)))
        done = asyncio.create_task(storm_then_drain(alerts, count, outbox, clock))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait((done, stopped), return_when=asyncio.FIRST_COMPLETED)
        for task in [*tasks, done, stopped]:
            task.cancel()
        await asyncio.wait([*tasks, done, stopped])
        await notifier.drain()
    await outbox.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
