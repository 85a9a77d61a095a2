"""The web server: /metrics, /healthz, /readyz, /api/v1/*, and the status page at /.

Bound to 127.0.0.1 by default. Access rules: `web/auth.py`; query parameters: `web/params.py`."""

from __future__ import annotations

import asyncio
import importlib.resources
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.clock import Clock
from monitor.view import MonitorView
from monitor.web import params
from monitor.web.auth import auth_middleware
from monitor.web.config import WebSettings
from monitor.web.metrics import exposition
from monitor.web.page import CHART_POINTS, INCIDENTS, charted, render_page
from monitor.web.silences import parse_silence, silence_json
from monitor.web.snapshots import RECENT_EVENTS, alerts_json, self_json, status_body

VIEW: web.AppKey[MonitorView] = web.AppKey("view")
SETTINGS: web.AppKey[WebSettings] = web.AppKey("web_settings")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
HOUR_S, DAY_S = 3600.0, 86400.0
SERIES_LIMIT = 1440  # minutes per page of /api/v1/endpoints/{id}/series
MAX_SERIES_HOURS = 30 * 24.0
OPENAPI = "openapi.json"  # beside this module: the API's OpenAPI 3.1 document


def _view(request: web.Request) -> MonitorView:
    return request.app[VIEW]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


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
    body = await status_body(await _view(request).status())
    return web.Response(body=body, content_type="application/json")


async def alerts(request: web.Request) -> web.Response:
    view = _view(request)
    return _json(alerts_json(await view.alerts(), await view.incidents(RECENT_EVENTS)))


async def self_stats(request: web.Request) -> web.Response:
    me = await _view(request).self_stats()
    return _json(self_json(me, request.app[CLOCK].monotonic()))


def _since(request: web.Request) -> float:
    now_s = request.app[CLOCK].wall()
    if "since" not in request.query:
        hours = params.number(request, "hours", default=1.0, low=1 / 60, high=MAX_SERIES_HOURS)
        return now_s - hours * HOUR_S
    if "hours" in request.query:
        raise params.BadRequest("give hours or since, not both")
    return params.number(request, "since", default=now_s, low=0.0, high=now_s)


@params.accepts("hours", "since", "limit")
async def series(request: web.Request) -> web.Response:
    endpoint_id = request.match_info["endpoint_id"]
    limit = params.integer(request, "limit", default=SERIES_LIMIT, low=1, high=SERIES_LIMIT)
    since = _since(request)
    found = await _view(request).series(endpoint_id, since, limit)
    if found is None:
        return _json({"error": f"unknown endpoint {endpoint_id}"}, status=404)
    return _json(
        {"endpoint": endpoint_id, "minutes": found.minutes, "next_since": found.next_since_s}
    )


async def list_silences(request: web.Request) -> web.Response:
    return _json({"silences": [silence_json(s) for s in await _view(request).silences()]})


async def add_silence(request: web.Request) -> web.Response:
    now_s = request.app[CLOCK].wall()
    silence = parse_silence(await request.read(), now_s, request.app[SETTINGS].silence_max_s)
    silence_id = await _view(request).add_silence(silence)
    return _json({"id": silence_id}, status=201)


async def delete_silence(request: web.Request) -> web.Response:
    removed = await _view(request).expire_silence(request.match_info["silence_id"])
    return _json({"removed": removed}, status=200 if removed else 404)


def openapi_handler() -> Callable[[web.Request], Any]:
    body = (importlib.resources.files("monitor.web") / OPENAPI).read_bytes()

    async def openapi(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    return openapi


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
    app = web.Application(middlewares=[auth_middleware(settings.token), params.known_params])
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
    app.router.add_get("/api/v1/openapi.json", openapi_handler())
    app.router.add_get("/", page)
    return app


class WebServer:
    """The server: `start()` binds (raising the OSError when it cannot), `run()` serves until
    cancelled, binding anew first when a fault stopped it; `ready(port)` once listening."""

    def __init__(
        self, view: MonitorView, settings: WebSettings, clock: Clock, ready: Callable[[int], Any]
    ) -> None:
        self._view, self._settings, self._clock, self._ready = view, settings, clock, ready
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = make_app(self._view, self._settings, self._clock)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._settings.host, self._settings.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._ready(runner.addresses[0][1])

    async def run(self) -> None:
        if self._runner is None:
            await self.start()
        try:
            await asyncio.Event().wait()  # until the TaskGroup cancels us
        finally:
            await self.close()

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
