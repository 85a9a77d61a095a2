"""Storm test with real processes: 1,000 critical alerts announced at once, the process
killed (SIGKILL or SIGTERM) at a random point of the storm or while a webhook is in flight,
then restarted: every announced alert reaches each channel, under one idempotency key."""

from __future__ import annotations

import asyncio
import collections
import random
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from tests.ports import free_port

ROOT = Path(__file__).parents[2]
COUNT = 1000
CHANNELS = ("a", "b")


class Receivers:
    """Both channels' webhook receivers: per channel, the alerts under each key."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, list[str]]] = {name: {} for name in CHANNELS}
        self.requests = 0
        self.first_request = asyncio.Event()
        self.hold = asyncio.Event()  # answers wait for this once `holding` is set
        self.holding = False

    async def hook(self, request: web.Request) -> web.Response:
        alerts = [a["fingerprint"] for a in orjson.loads(await request.read())["alerts"]]
        self.keys[request.match_info["channel"]][request.headers["webhook-id"]] = alerts
        self.requests += 1
        self.first_request.set()
        if self.holding:
            await self.hold.wait()
        return web.Response()

    def delivered_once(self, announced: set[str]) -> None:
        for name in CHANNELS:
            seen = collections.Counter(fp for fps in self.keys[name].values() for fp in fps)
            assert announced <= set(seen), f"channel {name} lost {len(announced - set(seen))}"
            assert set(seen.values()) == {1}, f"channel {name}: an alert under two keys"


@asynccontextmanager
async def receivers(port: int) -> AsyncIterator[Receivers]:
    got = Receivers()
    app = web.Application()
    app.router.add_post("/{channel}", got.hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield got
    finally:
        got.hold.set()
        await runner.cleanup()


async def start(outbox: Path, url: str, count: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.notify.storm_process",
        str(outbox),
        url,
        str(count),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def lines_until(
    proc: asyncio.subprocess.Process, kind: str, count: int, seen: dict[str, set[str]]
) -> None:
    """Read the process's lines until `count` lines of `kind` (or its end)."""
    assert proc.stdout is not None
    async with asyncio.timeout(60):
        while len(seen[kind]) < count:
            line = (await proc.stdout.readline()).decode().split()
            if not line:
                return
            if len(line) == 2:
                seen[line[0]].add(line[1])


async def restart_and_drain(outbox: Path, url: str) -> None:
    second = await start(outbox, url, 0)
    assert second.stdout is not None
    async with asyncio.timeout(60):
        assert (await second.stdout.readline()).decode().strip() == "drained"
    assert await second.wait() == 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
async def test_killed_mid_storm_loses_nothing(tmp_path: Path, sig: signal.Signals) -> None:
    rng = random.Random()
    point = rng.randint(1, COUNT)
    outbox, port = tmp_path / "outbox.sqlite3", free_port()
    url = f"http://127.0.0.1:{port}"
    seen: dict[str, set[str]] = collections.defaultdict(set)
    async with receivers(port) as got:
        first = await start(outbox, url, COUNT)
        # SIGKILL: what was announced is what the notifier made durable; SIGTERM: every
        # alert put on the queue (the service persists the queue as it stops).
        kind = "durable" if sig is signal.SIGKILL else "put"
        await lines_until(first, kind, point, seen)
        first.send_signal(sig)
        await first.wait()
        await restart_and_drain(outbox, url)
    assert len(seen[kind]) >= point, f"killed at {point}"
    got.delivered_once(seen[kind])


async def test_killed_while_a_webhook_is_in_flight(tmp_path: Path) -> None:
    outbox, port = tmp_path / "outbox.sqlite3", free_port()
    url = f"http://127.0.0.1:{port}"
    seen: dict[str, set[str]] = collections.defaultdict(set)
    async with receivers(port) as got:
        got.holding = True  # the first webhook is received, never answered: kill then
        first = await start(outbox, url, COUNT)
        reading = asyncio.create_task(lines_until(first, "durable", COUNT, seen))
        async with asyncio.timeout(60):
            await got.first_request.wait()
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await reading
        got.holding = False
        got.hold.set()
        await restart_and_drain(outbox, url)
    assert seen["durable"]
    got.delivered_once(seen["durable"])
