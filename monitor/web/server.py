"""The web server: /metrics, /healthz, /readyz, /api/v1/*, and the status page at /.

Bound to 127.0.0.1 by default. With a token set, the API and the page need
`Authorization: Bearer <token>`; changing silences always needs it."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pydantic
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.clock import Clock
from monitor.detect.silences import Silence
from monitor.detect.thresholds import SilenceSettings
from monitor.view import MonitorView
from monitor.web.config import WebSettings
from monitor.web.metrics import exposition
from monitor.web.page import CHART_POINTS, INCIDENTS, charted, render_page
from monitor.web.snapshots import RECENT_EVENTS, alerts_json, self_json, status_json

VIEW: web.AppKey[MonitorView] = web.AppKey("view")
SETTINGS: web.AppKey[WebSettings] = web.AppKey("web_settings")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
HOUR_S, DAY_S = 3600.0, 86400.0
SERIES_LIMIT = 1440  # minutes per page of /api/v1/endpoints/{id}/series


def _view(request: web.Request) -> MonitorView:
    return request.app[VIEW]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _authorized(request: web.Request, required: bool) -> bool:
    settings = request.app[SETTINGS]
    if settings.token is None:
        return not required
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return hmac.compare_digest(given.encode(), settings.token.get_secret_value().encode())


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    guarded = path == "/" or path.startswith("/api/")
    settings = request.app[SETTINGS]
    needs_token = request.method != "GET" and path.startswith("/api/v1/silences")
    if (guarded and settings.token is not None and not _authorized(request, False)) or (
        needs_token and not _authorized(request, True)
    ):
        return web.json_response(
            {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return await handler(request)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    me = await _view(request).self_stats()
    lag_ms = me.loop_lag_s * 1000
    probing = me.probes > 0 or not me.endpoints
    detecting = me.detecting or not probing
    ready = probing and detecting and lag_ms <= request.app[SETTINGS].ready_max_lag_ms
    body = {"ready": ready, "probes": me.probes, "loop_lag_ms": round(lag_ms, 2)}
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    snapshot = await _view(request).metrics()
    body = await asyncio.to_thread(exposition, snapshot)  # formatting is pure: off the loop
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def status(request: web.Request) -> web.Response:
    return _json(status_json(await _view(request).status()))


async def alerts(request: web.Request) -> web.Response:
    view = _view(request)
    return _json(alerts_json(await view.alerts(), await view.incidents(RECENT_EVENTS)))


async def self_stats(request: web.Request) -> web.Response:
    me = await _view(request).self_stats()
    return _json(self_json(me, request.app[CLOCK].monotonic()))


async def series(request: web.Request) -> web.Response:
    endpoint_id = request.match_info["endpoint_id"]
    query = request.query
    try:
        limit = min(max(int(query.get("limit", SERIES_LIMIT)), 1), SERIES_LIMIT)
        if "since" in query:
            since = float(query["since"])
        else:
            since = request.app[CLOCK].wall() - float(query.get("hours", "1")) * HOUR_S
    except ValueError as exc:
        return _json({"error": f"bad query: {exc}"}, status=400)
    found = await _view(request).series(endpoint_id, since, limit)
    if found is None:
        return _json({"error": f"unknown endpoint {endpoint_id}"}, status=404)
    return _json(
        {"endpoint": endpoint_id, "minutes": found.minutes, "next_since": found.next_since_s}
    )


async def list_silences(request: web.Request) -> web.Response:
    return _json({"silences": await _view(request).silences()})


async def add_silence(request: web.Request) -> web.Response:
    try:
        spec = SilenceSettings.model_validate_json(await request.read())
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        return _json({"error": f"{'.'.join(map(str, first['loc']))}: {first['msg']}"}, 400)
    silence_id = await _view(request).add_silence(Silence.from_settings(spec))
    return _json({"id": silence_id}, status=201)


async def delete_silence(request: web.Request) -> web.Response:
    removed = await _view(request).expire_silence(request.match_info["silence_id"])
    return _json({"removed": removed}, status=200 if removed else 404)


async def page(request: web.Request) -> web.Response:
    view = _view(request)
    now = request.app[CLOCK].wall()
    venues = await view.status()
    shown = charted(venues)
    hour = await view.charts(shown, now - HOUR_S, CHART_POINTS)
    day = await view.charts(shown, now - DAY_S, CHART_POINTS)
    recent = await view.incidents(INCIDENTS)
    body = await asyncio.to_thread(render_page, venues, hour, day, recent)
    return web.Response(text=body, content_type="text/html")


def make_app(view: MonitorView, settings: WebSettings, clock: Clock) -> web.Application:
    app = web.Application(middlewares=[auth])
    app[VIEW] = view
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/status", status)
    app.router.add_get("/api/v1/alerts", alerts)
    app.router.add_get("/api/v1/self", self_stats)
    app.router.add_get("/api/v1/endpoints/{endpoint_id}/series", series)
    app.router.add_get("/api/v1/silences", list_silences)
    app.router.add_post("/api/v1/silences", add_silence)
    app.router.add_delete("/api/v1/silences/{silence_id}", delete_silence)
    app.router.add_get("/", page)
    return app


async def serve(
    view: MonitorView, settings: WebSettings, clock: Clock, ready: Callable[[int], Any]
) -> None:
    """Serve until cancelled; `ready(port)` is called once listening."""
    app = make_app(view, settings, clock)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        ready(runner.addresses[0][1])
        await asyncio.Event().wait()  # until the TaskGroup cancels us
    finally:
        await runner.cleanup()
