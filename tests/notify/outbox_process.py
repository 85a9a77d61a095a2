"""A notifier process for the kill test.

    python -m tests.notify.outbox_process OUTBOX URL COUNT

Queues COUNT alerts (one notification each) for a webhook channel at URL and prints
"queued COUNT" once all of them are in the outbox; then delivers until the outbox is empty
and prints "drained". The test kills it with SIGKILL in between.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp

from monitor.clock import SystemClock
from monitor.models import AlertEvent
from monitor.notify.base import ChannelKind, SinkContext
from monitor.notify.notifier import Notifier
from monitor.notify.outbox import Outbox
from monitor.notify.webhook import WebhookSink, WebhookSpec
from monitor.retry import BreakerSettings, RetrySettings
from tests.notify.helpers import event

RETRY = RetrySettings(base_s=0.05, cap_s=0.2, max_retry_s=3600)


async def main(path: Path, url: str, count: int) -> None:
    clock = SystemClock()
    outbox = Outbox(path)
    await outbox.open()
    spec = WebhookSpec(name="ops", url=url, group_window_s=1e-6, max_per_minute=10_000)
    alerts: asyncio.Queue[AlertEvent] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        sink = WebhookSink(spec, SinkContext(session, clock))
        notifier = Notifier(
            [(spec, ChannelKind.MACHINE, sink)],
            outbox,
            clock,
            group_window_s=1e-6,
            retry=RETRY,
            breaker=BreakerSettings(threshold=10_000),
        )
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(f(), name=n) for n, f in notifier.tasks(alerts)]
            for i in range(count):
                await notifier.accept(event(venue=f"venue{i}"))
            print(f"queued {count}", flush=True)
            while (await outbox.counts())["pending"]:
                await clock.sleep(0.05)
            print("drained", flush=True)
            for task in tasks:
                task.cancel()
    await outbox.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
