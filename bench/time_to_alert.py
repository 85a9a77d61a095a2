"""Time from an injected hard outage to the first webhook received, over repeated trials,
with the LLM off and with the LLM endpoint hanging (triage must never delay an alert).
The channel keeps the default grouping (2 s window, 20 messages a minute): a critical alert
goes out at once; the probes run every second."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from bench.service import http_app, service, write_config
from monitor.clock import SystemClock
from monitor.exchanges import EXCHANGES
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster

VENUES = tuple(EXCHANGES)


async def _trials(root: Path, trials: int, llm_hangs: bool) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    arrivals: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
    never = asyncio.Event()
    routes = web.RouteTableDef()

    @routes.post("/hook")
    async def hook(request: web.Request) -> web.Response:
        arrivals.put_nowait((loop.time(), orjson.loads(await request.read())))
        return web.Response()

    @routes.post("/v1/chat/completions")
    async def hang(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    cluster = SimCluster(SystemClock())
    await cluster.start()
    async with http_app(routes) as url:
        settings: dict[str, Any] = {
            "interval_s": 1.0,
            "timeout_s": 0.5,
            "notify": {"outbox_path": str(root / f"ttw-{llm_hangs}.db")},
            "store": {"path": str(root / f"ttw-h-{llm_hangs}.db")},
        }
        for venue, base in cluster.urls.items():
            settings[f"exchanges.{venue}"] = {"base_url": base, "budget_per_min": 1_000_000}
        if llm_hangs:
            settings["triage"] = {"enabled": True}
            settings["triage.llm"] = {"base_url": f"{url}/v1", "provider": "generic"}
        config = root / f"ttw-{llm_hangs}.toml"
        write_config(
            config,
            settings,
            [],
            [
                {"type": "webhook", "name": "bench", "url": f"{url}/hook"}  # default grouping
            ],
        )
        delays = []
        async with service(config, {}, core=None):
            await asyncio.sleep(4)  # noqa: TID251 - let every venue be probed healthy first
            for i in range(trials):
                venue = VENUES[i % len(VENUES)]
                start = loop.time()
                await cluster.apply(ChaosRule(venue=venue, kind=ChaosKind.OUTAGE, mode="refused"))
                delays.append(await _first(arrivals, f"EXCHANGE_DOWN/{venue}", "firing") - start)
                await cluster.clear(venue)
                await _first(arrivals, f"EXCHANGE_DOWN/{venue}", "resolved")
    await cluster.stop()
    ordered = sorted(delays)
    return {
        "trials": trials,
        "p50_s": round(statistics.median(ordered), 3),
        "p99_s": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3),
        "all_s": [round(d, 3) for d in delays],
    }


async def _first(
    arrivals: asyncio.Queue[tuple[float, dict[str, Any]]], fingerprint: str, kind: str
) -> float:
    async with asyncio.timeout(30):
        while True:
            at, payload = await arrivals.get()
            if any(
                a["fingerprint"] == fingerprint and a["kind"] == kind for a in payload["alerts"]
            ):
                return at


async def time_to_webhook(root: Path, trials: int) -> dict[str, Any]:
    return {
        "llm off": await _trials(root, trials, False),
        "llm hanging": await _trials(root, trials, True),
    }
