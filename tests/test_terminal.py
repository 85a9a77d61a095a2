"""The terminal surfaces at 120 columns, and `dashboard` refused by the API: one line, exit 2."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rich.console import Console
from rich.text import Text

from monitor import console as demo_console
from monitor.dashboard import framed, render
from monitor.detect.health import health
from monitor.models import Outcome
from monitor.notify.payload import alert_json
from monitor.view import Counts, EndpointState, SelfStats
from tests.detect.helpers import HealthyModel, make_detector
from tests.fakes import FakeClock
from tests.notify.helpers import event
from tests.test_cli import clean_env, run_cli

WIDTH = 120
ADDRESS = "http://127.0.0.1:54321/"


def at_120(renderable: object) -> list[str]:
    console = Console(width=WIDTH, record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def test_the_demo_table_fits_120_columns_with_the_address_whole_on_its_own_line() -> None:
    # Fails before: a 122-column header carried the address, cut at 120 (the wrong port).
    clock = FakeClock()
    detector, _, probes = make_detector(clock)
    model = HealthyModel(clock)
    for p in probes:
        clock.shift(0.05)
        detector.ingest(model.result(p, Outcome.CONNECT_ERROR if p.venue == "okx" else Outcome.OK))
    me = SelfStats(
        endpoints=16,
        probes=123456,
        missed_ticks=0,
        held_ticks=0,
        dropped=0,
        queue_depth=0,
        loop_lag_s=0.001,
        detecting=True,
        detector_us_per_result=None,
        sched_lag=Counts((), ()),
        latency=Counts((), ()),
        listening={"web": 54321},
        deliveries=(),
        surface_faults={},
    )
    long = dataclasses.replace(event(), summary="x" * 300)
    endpoints = [
        EndpointState(e.endpoint_id, e.venue, e.last, e.window.stats())
        for e in detector.endpoints.values()
    ]
    table = demo_console.render(me, health(detector), endpoints, [long])
    lines = at_120(Text(table))
    assert f"status page: {ADDRESS}" in lines
    assert all(len(line) <= WIDTH for line in lines)
    assert len(lines) == len(table.splitlines())  # nothing wrapped


def test_the_dashboard_fits_120_columns_with_the_address_whole_on_its_own_line() -> None:
    clock = FakeClock()
    detector, _, probes = make_detector(clock)
    model = HealthyModel(clock)
    for p in probes:
        clock.shift(0.05)
        detector.ingest(model.result(p, Outcome.CONNECT_ERROR if p.venue == "okx" else Outcome.OK))
    status = {"venues": [dataclasses.asdict(v) for v in health(detector)]}
    lines = at_120(framed(render(status, {"recent": [alert_json(event())]}), ADDRESS))
    assert lines[0] == f"status page: {ADDRESS}"
    assert all(len(line) <= WIDTH for line in lines)
    okx = [line for line in lines if "│ okx " in line]
    assert len(okx) == 1 and "offline (down)" in okx[0]  # one row, not wrapped


@pytest.fixture
async def refusing() -> AsyncIterator[str]:
    async def unauthorized(_: web.Request) -> web.Response:
        return web.json_response({"error": "unauthorized"}, status=401)

    app = web.Application()
    app.router.add_get("/{tail:.*}", unauthorized)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("token", "hint"),
    [(None, "set MONITOR_WEB__TOKEN to its token"), ("w" * 32, "check MONITOR_WEB__TOKEN")],
)
async def test_dashboard_refused_is_one_line_and_exit_2(
    refusing: str, token: str | None, hint: str
) -> None:
    # Fails before: a traceback ending in KeyError: 'venues'.
    env = clean_env(**({"MONITOR_WEB__TOKEN": token} if token else {}))
    code, _, err = await run_cli("dashboard", "--url", refusing, env=env)
    assert (code, err.strip().splitlines()) == (
        2,
        [f"dashboard: {refusing} refused the request (HTTP 401): {hint}"],
    )
    assert token is None or token not in err
