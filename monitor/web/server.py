"""The web server: /metrics, /healthz, /readyz, /api/v1/*, and the status page at /.

Bound to 127.0.0.1 by default. With a token set, the API and the page need
`Authorization: Bearer <token>`; changing silences always needs it."""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pydantic
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitor.clock import Clock
from monitor.detect.health import health
from monitor.detect.silences import Silence
from monitor.detect.thresholds import SilenceSettings
from monitor.web.config import WebSettings
from monitor.web.metrics import registry_for
from monitor.web.page import chart, render_page
from monitor.web.snapshots import alerts_snapshot, self_snapshot, status_snapshot

if TYPE_CHECKING:
    from monitor.app import Runtime

RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")
SETTINGS: web.AppKey[WebSettings] = web.AppKey("web_settings")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
HOUR_S, DAY_S = 3600.0, 86400.0


def _runtime(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


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
    runtime = _runtime(request)
    settings = request.app[SETTINGS]
    lag_ms = runtime.lag.current_s * 1000
    probing = runtime.stats.probes > 0 or not runtime.plan.probes
    detecting = any(e.last is not None for e in runtime.detector.endpoints.values()) or not probing
    ready = probing and detecting and lag_ms <= settings.ready_max_lag_ms
    body = {"ready": ready, "probes": runtime.stats.probes, "loop_lag_ms": round(lag_ms, 2)}
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(registry_for(_runtime(request)))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def status(request: web.Request) -> web.Response:
    return web.json_response(status_snapshot(_runtime(request)))


async def alerts(request: web.Request) -> web.Response:
    return web.json_response(alerts_snapshot(_runtime(request)))


async def self_stats(request: web.Request) -> web.Response:
    return web.json_response(self_snapshot(_runtime(request), request.app[CLOCK].monotonic()))


async def series(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    endpoint_id = request.match_info["endpoint_id"]
    if endpoint_id not in runtime.detector.endpoints:
        return web.json_response({"error": f"unknown endpoint {endpoint_id}"}, status=404)
    hours = float(request.query.get("hours", "1"))
    since = request.app[CLOCK].wall() - hours * HOUR_S
    points = [dataclasses.asdict(r) for r in runtime.detector.rollups.series(endpoint_id, since)]
    return web.json_response({"endpoint": endpoint_id, "minutes": points})


async def add_silence(request: web.Request) -> web.Response:
    try:
        spec = SilenceSettings.model_validate_json(await request.read())
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        return web.json_response(
            {"error": f"{'.'.join(map(str, first['loc']))}: {first['msg']}"}, status=400
        )
    silence = dataclasses.replace(Silence.from_settings(spec), id=uuid.uuid4().hex)
    _runtime(request).detector.silences.add(silence)
    return web.json_response({"id": silence.id}, status=201)


async def delete_silence(request: web.Request) -> web.Response:
    removed = _runtime(request).detector.silences.remove(request.match_info["silence_id"])
    return web.json_response({"removed": removed}, status=200 if removed else 404)


async def page(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    now = request.app[CLOCK].wall()
    rollups = runtime.detector.rollups
    charts = {
        endpoint_id: (
            chart(rollups.series(endpoint_id, now - HOUR_S), f"{endpoint_id} last hour"),
            chart(rollups.series(endpoint_id, now - DAY_S), f"{endpoint_id} last day"),
        )
        for endpoint_id in runtime.detector.endpoints
    }
    body = render_page(health(runtime.detector), charts, list(runtime.notifier.recent))
    return web.Response(text=body, content_type="text/html")


def make_app(runtime: Runtime, settings: WebSettings, clock: Clock) -> web.Application:
    app = web.Application(middlewares=[auth])
    app[RUNTIME] = runtime
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/status", status)
    app.router.add_get("/api/v1/alerts", alerts)
    app.router.add_get("/api/v1/self", self_stats)
    app.router.add_get("/api/v1/endpoints/{endpoint_id}/series", series)
    app.router.add_post("/api/v1/silences", add_silence)
    app.router.add_delete("/api/v1/silences/{silence_id}", delete_silence)
    app.router.add_get("/", page)
    return app


async def serve(
    runtime: Runtime, settings: WebSettings, clock: Clock, ready: Callable[[int], Any]
) -> None:
    """Serve until cancelled; `ready(port)` is called once listening."""
    app = make_app(runtime, settings, clock)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        ready(runner.addresses[0][1])
        await asyncio.Event().wait()  # until the TaskGroup cancels us
    finally:
        await runner.cleanup()
