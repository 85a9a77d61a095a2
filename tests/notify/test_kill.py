"""Kill test: SIGKILL with 50 undelivered notifications while the receiver is down; after a
restart with the receiver up, all 50 arrive, each idempotency key once."""

from __future__ import annotations

import asyncio
import collections
import signal
import sqlite3
import sys
from pathlib import Path

from aiohttp import web

from tests.ports import free_port

ROOT = Path(__file__).parents[2]
COUNT = 50


async def start(outbox: Path, url: str, count: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.notify.outbox_process",
        str(outbox),
        url,
        str(count),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def read_line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        return (await proc.stdout.readline()).decode().strip()


async def test_sigkill_then_restart_delivers_everything_once(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"

    first = await start(outbox, url, COUNT)  # nothing listens on the port: all undelivered
    assert await read_line(first) == f"queued {COUNT}"
    first.send_signal(signal.SIGKILL)
    await first.wait()
    with sqlite3.connect(outbox) as db:
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone() == (COUNT,)

    keys: collections.Counter[str] = collections.Counter()

    async def hook(request: web.Request) -> web.Response:
        keys[request.headers["webhook-id"]] += 1
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        second = await start(outbox, url, 0)
        assert await read_line(second) == "queued 0"
        assert await read_line(second) == "drained"
        await second.wait()
    finally:
        await runner.cleanup()
    assert len(keys) == COUNT
    assert set(keys.values()) == {1}
