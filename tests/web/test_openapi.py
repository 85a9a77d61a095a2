"""/api/v1/openapi.json describes the API as it answers: every route is documented, and each
real response of a running monitor is valid under the schema of its documented status."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import referencing
import referencing.jsonschema

from monitor import app
from monitor.clock import SystemClock
from monitor.settings import NotifySettings, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim
from monitor.store.history import StoreSettings
from monitor.web.config import WebSettings
from monitor.web.server import make_app

TOKEN = "openapi-token-5150-abcdefgh"
UNDOCUMENTED = {"/", "/healthz", "/readyz", "/metrics"}  # not JSON API paths


def check(doc: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    response = doc["paths"][path][method]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    resource = referencing.Resource.from_contents(
        doc, default_specification=referencing.jsonschema.DRAFT202012
    )
    registry = referencing.Registry().with_resource("urn:openapi", resource)
    validator = jsonschema.Draft202012Validator(
        {
            "$ref": f"urn:openapi#/paths/{path.replace('/', '~1')}/{method}/responses/{status}"
            "/content/application~1json/schema"
        },
        registry=registry,
    )
    assert schema  # documented
    validator.validate(body)


async def answers(url: str) -> list[tuple[str, str, int, Any]]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ends_at = dt.datetime.fromtimestamp(SystemClock().wall() + 3600, dt.UTC).isoformat()
    calls = [
        ("/api/v1/status", "get", "/api/v1/status", None),
        ("/api/v1/status", "get", "/api/v1/status?nope=1", None),
        ("/api/v1/alerts", "get", "/api/v1/alerts", None),
        ("/api/v1/self", "get", "/api/v1/self", None),
        (
            "/api/v1/endpoints/{endpoint_id}/series",
            "get",
            "/api/v1/endpoints/okx.time/series",
            None,
        ),
        ("/api/v1/endpoints/{endpoint_id}/series", "get", "/api/v1/endpoints/x/series", None),
        (
            "/api/v1/endpoints/{endpoint_id}/series",
            "get",
            "/api/v1/endpoints/okx.time/series?limit=0",
            None,
        ),
        ("/api/v1/silences", "post", "/api/v1/silences", {"venue": "okx", "ends_at": ends_at}),
        ("/api/v1/silences", "post", "/api/v1/silences", {"venue": "okx"}),
        ("/api/v1/silences", "get", "/api/v1/silences", None),
        ("/api/v1/silences/{silence_id}", "delete", "/api/v1/silences/nope", None),
        ("/api/v1/openapi.json", "get", "/api/v1/openapi.json", None),
    ]
    out = []
    async with aiohttp.ClientSession(headers=auth) as session:
        for path, method, target, body in calls:
            async with session.request(method, f"{url}{target}", json=body) as response:
                out.append((path, method, response.status, await response.json()))
        async with session.get(f"{url}/api/v1/status", headers={"Authorization": "Bearer x"}) as r:
            out.append(("/api/v1/status", "get", r.status, await r.json()))
    return out


async def test_real_responses_match_the_openapi_document(tmp_path: Path) -> None:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    await cluster.apply(ChaosRule(venue="okx", kind=ChaosKind.OUTAGE, mode="refused"))
    settings = point_at_sim(
        Settings(
            interval_s=0.1,
            timeout_s=0.1,
            notify=NotifySettings(outbox_path=tmp_path / "o.sqlite3"),
            store=StoreSettings(path=tmp_path / "h.sqlite3"),
            web=WebSettings(port=0, token=TOKEN),
        ),
        cluster.urls,
    )
    stop = asyncio.Event()
    seen: list[tuple[str, str, int, Any]] = []
    routes: set[str] = set()

    async def inspect(runtime: app.Runtime) -> None:
        alerts = runtime.notifier.subscribe()
        async with asyncio.timeout(10):
            await runtime.web_up.wait()
            await alerts.get()  # okx is down: something to show in /api/v1/alerts
        seen.extend(await answers(f"http://127.0.0.1:{runtime.listening['web']}"))
        served = make_app(runtime.view, settings.web, clock).router.resources()
        routes.update(resource.canonical for resource in served)
        stop.set()

    try:
        await app.run(settings, clock, stop, inspect)
    finally:
        await cluster.stop()
    doc = seen[-2][3]  # /api/v1/openapi.json as served
    jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    statuses = {(path, method, status) for path, method, status, _ in seen}
    assert {s for _, _, s in statuses} == {200, 201, 400, 401, 404}
    for path, method, status, body in seen:
        check(doc, path, method, status, body)
    assert routes - UNDOCUMENTED == set(doc["paths"])
