"""Sinks never follow a redirect: a channel's token or signed body would go where the
redirect says. A 3xx is a clear, final delivery error."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from monitor.notify.base import DeliveryError
from monitor.notify.http import post
from tests.notify.helpers import Captured, receiver


async def moved(captured: Captured) -> web.StreamResponse:
    if captured.path == "/stolen":
        return web.json_response({})
    return web.Response(status=307, headers={"Location": "/stolen"})


async def test_redirect_is_refused_and_final() -> None:
    async with receiver(moved) as (url, seen), aiohttp.ClientSession() as session:
        with pytest.raises(DeliveryError, match="HTTP 307: redirect refused") as caught:
            await post(session, f"{url}/hook", 0.0, body=b"{}", headers={"X-Token": "t"})
    assert caught.value.retryable is False
    assert [seen.get_nowait().path for _ in range(seen.qsize())] == ["/hook"]
