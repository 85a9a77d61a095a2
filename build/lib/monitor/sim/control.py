"""The simulator's control API: switch chaos scenarios at runtime.

GET    /chaos                          active rules
POST   /chaos   {"venue", "endpoint"?, "kind", ...params}
DELETE /chaos?venue=&endpoint=         clear (everything when no venue)
GET    /venues                         base URL per venue
"""

from __future__ import annotations

import pydantic
from aiohttp import web

from monitor.sim.chaos import ChaosRule
from monitor.sim.server import SimCluster

CLUSTER_KEY = web.AppKey("cluster", SimCluster)


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _list(request: web.Request) -> web.Response:
    rules = request.app[CLUSTER_KEY].board.snapshot()
    return web.json_response({"rules": [r.model_dump(mode="json") for r in rules]})


async def _apply(request: web.Request) -> web.Response:
    try:
        rule = ChaosRule.model_validate_json(await request.read())
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return _json_error(400, f"{where}: {first['msg']}")
    try:
        await request.app[CLUSTER_KEY].apply(rule)
    except (KeyError, ValueError) as exc:
        return _json_error(404, f"unknown venue or endpoint: {exc}")
    return web.json_response({"applied": rule.model_dump(mode="json")})


async def _clear(request: web.Request) -> web.Response:
    venue = request.query.get("venue")
    endpoint = request.query.get("endpoint")
    await request.app[CLUSTER_KEY].clear(venue, endpoint)
    return web.json_response({"cleared": {"venue": venue, "endpoint": endpoint}})


async def _venues(request: web.Request) -> web.Response:
    return web.json_response(request.app[CLUSTER_KEY].urls)


def control_app(cluster: SimCluster) -> web.Application:
    app = web.Application()
    app[CLUSTER_KEY] = cluster
    app.router.add_get("/chaos", _list)
    app.router.add_post("/chaos", _apply)
    app.router.add_delete("/chaos", _clear)
    app.router.add_get("/venues", _venues)
    return app
