"""HttpProbe against in-process servers: real sockets, real deadlines, scripted handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses

from monitor.app import Sessions
from monitor.exchanges.http_target import HttpCheck
from monitor.models import Outcome
from tests.ports import free_port
from tests.probes.helpers import http_probe

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[TestServer] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("/probe"))

    yield start
    for server in servers:
        await server.close()


async def test_ok_records_phases(
    serve: Callable[[Handler], Awaitable[str]], http: Sessions
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"status": "up"})

    url = await serve(handler)
    result = await http_probe(http.cold, url).run(0.0, 0.0, 0.0)
    assert result.outcome is Outcome.OK
    assert result.status == 200
    assert result.phases is not None
    assert result.phases.connect_s is not None  # a fresh connection was made
    assert result.phases.ttfb_s is not None and result.phases.total_s is not None
    assert result.phases.ttfb_s <= result.phases.total_s == result.latency_s


async def test_hang_becomes_timeout_at_deadline(
    serve: Callable[[Handler], Awaitable[str]], http: Sessions
) -> None:
    never = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    url = await serve(handler)
    async with asyncio.timeout(2):
        result = await http_probe(http.warm, url, timeout_s=0.2).run(0.0, 0.0, 0.0)
    assert result.outcome is Outcome.TIMEOUT
    assert result.latency_s >= 0.2
    assert result.phases is not None and result.phases.total_s is None


async def test_refused_is_connect_error(http: Sessions) -> None:
    result = await http_probe(http.warm, f"http://127.0.0.1:{free_port()}/").run(0.0, 0.0, 0.0)
    assert result.outcome is Outcome.CONNECT_ERROR
    assert result.detail == "refused"


@pytest.mark.parametrize("with_length", [True, False])
async def test_oversized_body_is_bad_payload(
    serve: Callable[[Handler], Awaitable[str]], http: Sessions, with_length: bool
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if with_length:
            return web.Response(body=b"x" * 100_000)
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"x" * 1000)
        return response

    url = await serve(handler)
    result = await http_probe(http.warm, url, cap=10_000).run(0.0, 0.0, 0.0)
    assert result.outcome is Outcome.BAD_PAYLOAD
    assert result.detail == "body over 10000 bytes"


async def test_garbage_http_is_bad_payload(http: Sessions) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"NOT-HTTP \x00\xff\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await http_probe(http.cold, f"http://127.0.0.1:{port}/").run(0.0, 0.0, 0.0)
    assert result.outcome in (Outcome.BAD_PAYLOAD, Outcome.CONNECT_ERROR)


async def test_json_condition(serve: Callable[[Handler], Awaitable[str]], http: Sessions) -> None:
    state = {"value": "up"}

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"state": state["value"]}]})

    url = await serve(handler)
    probe = http_probe(http.warm, url, check=HttpCheck(json_field="data.0.state", json_equals="up"))
    assert (await probe.run(0.0, 0.0, 0.0)).outcome is Outcome.OK
    state["value"] = "down"
    failed = await probe.run(0.0, 0.0, 0.0)
    assert failed.outcome is Outcome.EXCHANGE_ERROR
    assert "got 'down'" in (failed.detail or "")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.OK),
        (204, Outcome.HTTP_ERROR),
        (429, Outcome.RATE_LIMITED),
        (500, Outcome.HTTP_ERROR),
    ],
)
async def test_expected_status(
    mocked_http: aioresponses, http: Sessions, status: int, outcome: Outcome
) -> None:
    mocked_http.get("http://target.test/health", status=status, payload={})
    result = await http_probe(http.warm, "http://target.test/health").run(0.0, 0.0, 0.0)
    assert result.outcome is outcome
    assert result.status == status
