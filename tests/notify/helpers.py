"""Alert events and scripted receivers for notification tests."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.clock import Clock
from monitor.facts import Facts
from monitor.models import AlertEvent, AlertKind, Evidence, Severity
from monitor.notify.base import DeliveryError, Notification

T0 = 1_760_000_000.0
HOSTILE = "<!channel> @everyone [click](http://evil.test) <b>x</b> *bold* \u202eevil"


def event(
    rule: str = "EXCHANGE_DOWN",
    venue: str = "okx",
    endpoint: str | None = None,
    severity: Severity = Severity.CRITICAL,
    kind: AlertKind = AlertKind.FIRING,
    summary: str = "every endpoint failing",
    facts: Facts | None = None,
) -> AlertEvent:
    fingerprint = f"{rule}/{venue}" + (f"/{endpoint}" if endpoint else "")
    shown = facts or Facts(streak=3)
    evidence = Evidence({"p95_s": 0.031}, ("connect_error",), ("refused",), shown)
    return AlertEvent(
        kind, fingerprint, rule, severity, venue, endpoint, summary, T0, T0 + 5, evidence
    )


def notification(*events: AlertEvent, key: str = "k-1", channel: str = "ops") -> Notification:
    return Notification(key, channel, events or (event(),), T0 + 5)


@dataclasses.dataclass
class Captured:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


Reply = Callable[[Captured], Awaitable[web.StreamResponse]]


async def ok_json(_: Captured) -> web.StreamResponse:
    return web.json_response({})


@asynccontextmanager
async def receiver(reply: Reply = ok_json) -> AsyncIterator[tuple[str, asyncio.Queue[Captured]]]:
    """An HTTP server on 127.0.0.1 recording every request; `reply` scripts the answer."""
    seen: asyncio.Queue[Captured] = asyncio.Queue()

    async def handle(request: web.Request) -> web.StreamResponse:
        captured = Captured(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        seen.put_nowait(captured)
        return await reply(captured)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), seen
    finally:
        await server.close()


class ScriptedSink:
    """A channel whose answers the test scripts: it records every attempt (clock time and
    notification); `error` makes attempts fail with it, `hang` makes them hang."""

    def __init__(self, name: str, clock: Clock) -> None:
        self._name = name
        self._clock = clock
        self.attempts: asyncio.Queue[tuple[float, Notification]] = asyncio.Queue()
        self.delivered: list[tuple[float, Notification]] = []
        self.error: DeliveryError | None = None
        self.hang = False

    @property
    def name(self) -> str:
        return self._name

    async def send(self, notification: Notification) -> None:
        now = self._clock.wall()
        self.attempts.put_nowait((now, notification))
        if self.hang:
            await asyncio.Event().wait()
        if self.error is not None:
            raise self.error
        self.delivered.append((now, notification))

    async def next(self) -> tuple[float, Notification]:
        async with asyncio.timeout(2):
            return await self.attempts.get()
