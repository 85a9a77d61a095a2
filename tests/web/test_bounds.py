"""The surfaces stay bounded whatever the history: with a day and more of per-minute
rollups in the store for sixty endpoints, the status page stays under 1 MB, every chart
has at most CHART_POINTS points, and a series comes in pages that chain."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.surfaces import generate_history
from monitor import app
from monitor.clock import SystemClock
from monitor.settings import NotifySettings, Settings, TargetSettings
from monitor.store.history import StoreSettings
from monitor.web.config import WebSettings
from monitor.web.page import CHART_POINTS
from monitor.web.server import SERIES_LIMIT

ENDPOINTS = 60
HOURS = 26.0
MB = 1024 * 1024


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def read_surfaces(url: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/") as r:
            seen["page"] = await r.text()
        pages, since = [], 0.0
        while since is not None:
            query = f"since={since}&limit={SERIES_LIMIT}"
            async with session.get(f"{url}/api/v1/endpoints/t7.http/series?{query}") as r:
                body = await r.json()
            pages.append(body["minutes"])
            since = body["next_since"]
        seen["series"] = pages
    return seen


async def test_page_and_series_stay_bounded_with_a_large_history(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite3"
    names = [f"t{i}" for i in range(ENDPOINTS)]
    rows = await generate_history(store, [f"{n}.http" for n in names], HOURS)
    target = web.Application()
    target.router.add_get("/{tail:.*}", ok)
    server = TestServer(target, host="127.0.0.1")
    await server.start_server()
    settings = Settings(
        enabled_exchanges=[],
        interval_s=5.0,
        targets=[TargetSettings(name=n, url=str(server.make_url(f"/{n}"))) for n in names],
        notify=NotifySettings(outbox_path=tmp_path / "o.sqlite3"),
        store=StoreSettings(path=store),
        web=WebSettings(port=0),
    )
    stop = asyncio.Event()
    seen: dict[str, Any] = {}

    async def inspect(runtime: app.Runtime) -> None:
        await runtime.web_up.wait()
        seen.update(await read_surfaces(f"http://127.0.0.1:{runtime.listening['web']}"))
        stop.set()

    try:
        async with asyncio.timeout(30):
            await app.run(settings, SystemClock(), stop, inspect)
    finally:
        await server.close()
    page = seen["page"]
    assert len(page.encode()) < MB
    charts = re.findall(r'points="([^"]*)"', page)
    assert charts and all(len(points.split()) <= CHART_POINTS for points in charts)
    assert "t7" in page and "Other venues" in page  # every venue is still listed
    pages = seen["series"]
    assert all(len(minutes) <= SERIES_LIMIT for minutes in pages) and len(pages) > 1
    assert sum(len(minutes) for minutes in pages) == rows // ENDPOINTS
