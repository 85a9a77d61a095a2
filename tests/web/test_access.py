"""Access to a running monitor's API: only `Authorization: Bearer <token>`, silences that
cannot mute more than they say, and query parameters that answer 400, never 500."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor import app
from monitor.clock import SystemClock
from monitor.settings import NotifySettings, Settings, TargetSettings
from monitor.store.history import StoreSettings
from monitor.web.config import WebSettings
from tests.ports import free_port

TOKEN = "access-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextlib.asynccontextmanager
async def monitor_web(tmp_path: Path, token: str | None = TOKEN) -> AsyncIterator[str]:
    """A monitor with one generic target (a closed loopback port) and its web server."""
    settings = Settings(
        enabled_exchanges=[],
        targets=[TargetSettings(name="gw", url=f"http://127.0.0.1:{free_port()}/")],
        notify=NotifySettings(outbox_path=tmp_path / "o.sqlite3"),
        store=StoreSettings(path=tmp_path / "h.sqlite3"),
        web=WebSettings(port=0, token=token),
    )
    stop = asyncio.Event()
    listening: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def announce(runtime: app.Runtime) -> None:
        await runtime.web_up.wait()
        listening.set_result(f"http://127.0.0.1:{runtime.listening['web']}")

    running = asyncio.create_task(app.run(settings, SystemClock(), stop, announce))
    first: set[asyncio.Future[Any]] = {running, listening}
    try:
        async with asyncio.timeout(10):
            await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        yield listening.result()
    finally:
        stop.set()
        async with asyncio.timeout(10):
            await running


def at(offset_s: float) -> str:
    return dt.datetime.fromtimestamp(SystemClock().wall() + offset_s, dt.UTC).isoformat()


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any]:
    async with session.request(method, url, **kwargs) as response:
        body = await response.json(content_type=None)
        return response.status, body


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        (TOKEN, 401),  # a bare token is not a Bearer credential
        (f"Basic {TOKEN}", 401),
        (f"Bearer {TOKEN}x", 401),
        ("Bearer ", 401),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),  # the scheme is case-insensitive (RFC 7235)
    ],
)
async def test_only_a_bearer_token_opens_the_api(
    tmp_path: Path, header: str | None, status: int
) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with monitor_web(tmp_path) as url, aiohttp.ClientSession() as session:
        assert (await call(session, "GET", f"{url}/api/v1/status", headers=headers))[0] == status
        silence = {"venue": "gw", "ends_at": at(3600)}
        created, _ = await call(
            session, "POST", f"{url}/api/v1/silences", json=silence, headers=headers
        )
        assert created == (201 if status == 200 else 401)


BAD_SILENCES = [
    ({"ends_at": at(3600)}, "all=true"),  # no matcher: would mute everything
    ({"venue": "gw", "all": True, "ends_at": at(3600)}, "all=true takes no matcher"),
    ({"venue": "gw", "ends_at": at(-60)}, "already past"),
    ({"venue": "gw", "starts_at": at(7200), "ends_at": at(3600)}, "after starts_at"),
    ({"venue": "gw", "ends_at": "2099-01-01T00:00:00Z"}, "at most 2.592e+06 s"),
    ({"venue": "gw", "ends_at": "2030-01-01T00:00:00"}, "timezone"),
    ({"rule": "EVERYTHING", "ends_at": at(3600)}, "unknown rule 'EVERYTHING'"),
    ({"venue": "gw", "ends_at": at(3600), "comment": "x" * 501}, "comment"),
    ({"venue": "gw", "ends_at": at(3600), "mute": "all"}, "mute"),
    (b"{not json", "Invalid JSON"),
    ([1, 2], "object"),
]


async def test_silences_are_validated_then_listed(tmp_path: Path) -> None:
    async with monitor_web(tmp_path) as url, aiohttp.ClientSession(headers=AUTH) as session:
        silences = f"{url}/api/v1/silences"
        for body, message in BAD_SILENCES:
            sent = {"data": body} if isinstance(body, bytes) else {"json": body}
            status, answer = await call(session, "POST", silences, **sent)
            assert (status, message in answer["error"]) == (400, True), (body, answer)
        assert await call(session, "GET", silences) == (200, {"silences": []})
        _, one = await call(session, "POST", silences, json={"venue": "gw", "ends_at": at(60)})
        later = {"all": True, "starts_at": at(600), "ends_at": at(1200), "comment": "upgrade"}
        _, two = await call(session, "POST", silences, json=later)
        status, listed = await call(session, "GET", silences)
        assert status == 200
        assert [(s["id"], s["venue"], s["all"], s["comment"]) for s in listed["silences"]] == [
            (one["id"], "gw", False, ""),
            (two["id"], None, True, "upgrade"),
        ]
        assert await call(session, "DELETE", f"{silences}/{one['id']}") == (200, {"removed": True})
        _, listed = await call(session, "GET", silences)
        assert [s["id"] for s in listed["silences"]] == [two["id"]]


async def test_without_a_token_silences_cannot_be_changed(tmp_path: Path) -> None:
    async with monitor_web(tmp_path, token=None) as url, aiohttp.ClientSession() as session:
        silences = f"{url}/api/v1/silences"
        assert (await call(session, "GET", silences))[0] == 200
        everything = {"all": True, "ends_at": at(3600)}
        assert (await call(session, "POST", silences, json=everything))[0] == 401


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("hours=abc", "hours: not a number"),
        ("hours=inf", "hours: must be between"),
        ("hours=nan", "hours: must be between"),
        ("hours=0", "hours: must be between"),
        ("hours=1e9", "hours: must be between"),
        ("hours=1&hours=2", "hours: given 2 times"),
        ("hour=1", "unknown parameter 'hour' (accepted: hours, limit, since)"),
        ("hours=1&since=0", "give hours or since, not both"),
        ("since=abc", "since: not a number"),
        ("limit=10.5", "limit: not an integer"),
        ("limit=0", "limit: must be between 1 and 1440"),
    ],
)
async def test_bad_query_parameters_are_400(tmp_path: Path, query: str, message: str) -> None:
    async with monitor_web(tmp_path) as url, aiohttp.ClientSession(headers=AUTH) as session:
        series = f"{url}/api/v1/endpoints/gw.http/series"
        status, answer = await call(session, "GET", f"{series}?{query}")
        assert (status, answer["error"]) == (400, answer["error"])
        assert message in answer["error"]
        assert (await call(session, "GET", f"{series}?hours=2"))[0] == 200
        status, answer = await call(session, "GET", f"{url}/api/v1/status?verbose=1")
        assert (status, answer) == (400, {"error": "unknown parameter 'verbose' (accepted: none)"})
