"""InfluxDB export: line protocol to the v1 and v2 write APIs; nothing lost while it is down."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from monitor.models import Outcome, ProbeResult
from monitor.store.influx import InfluxExporter, InfluxSettings, probe_line, rollup_line
from monitor.store.rollups import Rollup
from tests.notify.helpers import Captured, receiver

ROLLUP = Rollup(1_760_000_040.0, 60, 2, 0.021, 0.034, 0.05, 0.061)


def test_line_protocol() -> None:
    assert rollup_line("binance.time", ROLLUP) == (
        "probe_rollup,venue=binance,endpoint=time count=60i,errors=2i,p50_s=0.021,p95_s=0.034,"
        "p99_s=0.05,max_s=0.061 1760000040"
    )
    result = ProbeResult(
        "my target.http", "my target", "http", Outcome.TIMEOUT, 0.0, 1_760_000_000.5, 2.0, 0.0, 0.0
    )
    assert probe_line(result) == (
        'probe,venue=my\\ target,endpoint=http latency_s=2.0,outcome="timeout" 1760000000'
    )


@pytest.mark.parametrize("api", ["v1", "v2"])
async def test_write_api(api: str) -> None:
    async with receiver(lambda c: _no_content()) as (url, seen), aiohttp.ClientSession() as s:
        settings = InfluxSettings(
            enabled=True,
            url=url,
            api=api,
            org="desk",
            bucket="mon",
            database="mon1",
            token="secret-token",
        )
        exporter = InfluxExporter(settings, s)
        exporter.add(rollup_line("okx.ticker", ROLLUP))
        await exporter.flush()
        got = seen.get_nowait()
    assert got.body.decode().startswith("probe_rollup,venue=okx,endpoint=ticker ")
    if api == "v2":
        assert got.path == "/api/v2/write"
        assert got.query == {"org": "desk", "bucket": "mon", "precision": "s"}
        assert got.headers["Authorization"] == "Token secret-token"
    else:
        assert got.path == "/write" and got.query["db"] == "mon1" and got.query["precision"] == "s"
    assert exporter.written == 1


async def _no_content() -> web.StreamResponse:
    return web.Response(status=204)


async def test_points_wait_while_influx_is_down() -> None:
    answers = iter([503, 204])

    async def flaky(_: Captured) -> web.StreamResponse:
        return web.Response(status=next(answers))

    async with receiver(flaky) as (url, seen), aiohttp.ClientSession() as s:
        exporter = InfluxExporter(InfluxSettings(enabled=True, url=url), s)
        exporter.add(rollup_line("okx.time", ROLLUP))
        await exporter.flush()  # 503: kept
        exporter.add(rollup_line("okx.status", ROLLUP))
        await exporter.flush()
        first, second = seen.get_nowait(), seen.get_nowait()
    assert first.body.count(b"\n") == 0 and second.body.count(b"\n") == 1
    assert second.body.decode().splitlines()[0].startswith("probe_rollup,venue=okx,endpoint=time")
    assert exporter.written == 2 and exporter.dropped == 0
