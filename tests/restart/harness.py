"""Real `python -m monitor` processes against the in-process simulator and a webhook
receiver on loopback, started, stopped with SIGTERM and started again on the same store."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from monitor.clock import SystemClock
from monitor.notify.outbox import decode
from monitor.sim.server import SimCluster
from tests.ports import free_port

ROOT = Path(__file__).parents[2]
VENUE = "okx"
DOWN = f"EXCHANGE_DOWN/{VENUE}"
TOKEN = "restart-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAIT_S = 60  # a safety timeout only: it fails a hang, it synchronises nothing


class Hook:
    """The webhook channel's receiver: every alert it was sent, in order, once per
    notification key (delivery is at least once: receivers dedupe on the key)."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.keys: set[str] = set()
        self._arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers["webhook-id"] not in self.keys:
            self.keys.add(request.headers["webhook-id"])
            self.alerts += orjson.loads(body)["alerts"]
        self._arrived.set()
        return web.Response()

    async def expect(self, kind: str, fingerprint: str) -> dict[str, Any]:
        """The first alert of that kind and fingerprint (waiting for it if need be)."""
        async with asyncio.timeout(WAIT_S):
            while True:
                for alert in self.alerts:
                    if (alert["kind"], alert["fingerprint"]) == (kind, fingerprint):
                        return alert
                self._arrived.clear()
                await self._arrived.wait()

    def kinds(self, fingerprint: str) -> list[str]:
        return [a["kind"] for a in self.alerts if a["fingerprint"] == fingerprint]


@dataclasses.dataclass
class Monitor:
    """One monitor process; its JSON log lines (stderr) are read as they come."""

    proc: asyncio.subprocess.Process
    logs: asyncio.Queue[dict[str, Any]]
    reader: asyncio.Task[None]
    url: str = ""

    async def log(self, event: str, **fields: Any) -> dict[str, Any]:
        """The next log line of `event` whose fields include `fields`."""
        async with asyncio.timeout(WAIT_S):
            while True:
                line = await self.logs.get()
                if line.get("event") == event and fields.items() <= line.items():
                    return line

    async def get(self, path: str) -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url + path, headers=AUTH) as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url + path, json=body, headers=AUTH) as response,
        ):
            assert response.status == 201, await response.text()
            return await response.json()

    async def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(WAIT_S):
            assert await self.proc.wait() == 0
        await self.reader


async def _read_logs(stream: asyncio.StreamReader, logs: asyncio.Queue[dict[str, Any]]) -> None:
    while line := await stream.readline():
        with contextlib.suppress(orjson.JSONDecodeError):
            logs.put_nowait(orjson.loads(line))


@dataclasses.dataclass
class World:
    sim: SimCluster
    hook: Hook
    hook_url: str
    data: Path

    def env(self) -> dict[str, str]:
        channel = {"type": "webhook", "name": "hook", "url": self.hook_url}
        return {
            **os.environ,
            "MONITOR_ENABLED_EXCHANGES": VENUE,
            f"MONITOR_EXCHANGES__{VENUE.upper()}__BASE_URL": self.sim.urls[VENUE],
            f"MONITOR_EXCHANGES__{VENUE.upper()}__BUDGET_PER_MIN": "1000000",
            "MONITOR_INTERVAL_S": "0.2",
            "MONITOR_TIMEOUT_S": "0.2",
            "MONITOR_NOTIFY__CHANNELS": orjson.dumps([channel]).decode(),
            "MONITOR_NOTIFY__GROUP_WINDOW_S": "0.05",
            "MONITOR_NOTIFY__OUTBOX_PATH": str(self.data / "outbox.sqlite3"),
            "MONITOR_STORE__PATH": str(self.data / "history.sqlite3"),
            "MONITOR_DETECT__RESTORE_WAIT_S": "30",
            "MONITOR_WEB__PORT": "0",
            "MONITOR_WEB__TOKEN": TOKEN,
        }

    async def start(self) -> Monitor:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor",
            "run",
            env=self.env(),
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        logs: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        monitor = Monitor(proc, logs, asyncio.create_task(_read_logs(proc.stderr, logs)))
        listening = await monitor.log("web_listening")
        monitor.url = f"http://127.0.0.1:{listening['port']}"
        return monitor

    def unsent(self, fingerprint: str) -> list[str]:
        """The notifications about `fingerprint` still in the outbox (after a stop) that the
        receiver has not had under their key: what would still go out about it."""
        with contextlib.closing(sqlite3.connect(self.data / "outbox.sqlite3")) as db:
            rows = db.execute("SELECT body FROM outbox WHERE state = 'pending'").fetchall()
        waiting = [decode(body) for (body,) in rows]
        return [
            n.key
            for n in waiting
            if n.key not in self.hook.keys and any(e.fingerprint == fingerprint for e in n.events)
        ]


@contextlib.asynccontextmanager
async def world(data: Path) -> AsyncIterator[World]:
    """The simulated venue and the webhook receiver, up across the monitor's restarts."""
    sim = SimCluster(SystemClock(), venues=(VENUE,))
    await sim.start()
    hook = Hook()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield World(sim, hook, f"http://127.0.0.1:{port}/hook", data)
    finally:
        await runner.cleanup()
        await sim.stop()
