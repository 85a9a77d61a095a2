"""The LLM client refuses redirects (its Authorization header would follow them) unless
`allow_redirects` is set."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.triage.client import LlmClient, LlmError, LlmSettings, StepSettings
from monitor.triage.schema import Classification
from tests.triage.fake_llm import CLASSIFIED, RecordingClock, completion

STEP = StepSettings(model="cheap", deadline_s=20, max_tokens=200)
MESSAGES = [{"role": "system", "content": "classify"}, {"role": "user", "content": "data"}]


@asynccontextmanager
async def redirecting() -> AsyncIterator[tuple[str, list[str]]]:
    """/v1 answers 307 to /elsewhere, which would answer a valid completion."""
    reached: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/elsewhere/chat/completions")

    async def elsewhere(request: web.Request) -> web.Response:
        reached.append(request.headers.get("Authorization", ""))
        return web.json_response(completion(orjson.dumps(CLASSIFIED).decode()))

    app = web.Application()
    app.router.add_post("/v1/chat/completions", moved)
    app.router.add_post("/elsewhere/chat/completions", elsewhere)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/v1")), reached
    finally:
        await server.close()


async def complete(url: str, **settings: bool) -> None:
    async with aiohttp.ClientSession() as session:
        llm = LlmClient(
            LlmSettings(base_url=url, api_key="sk-canary-123", provider="generic", **settings),
            session,
            RecordingClock(),
            random.Random(4),
        )
        await llm.complete(STEP, MESSAGES, Classification)


async def test_redirect_is_refused_by_default() -> None:
    async with redirecting() as (url, reached):
        with pytest.raises(LlmError, match="HTTP 307: redirect refused"):
            await complete(url)
    assert reached == []  # the key never went anywhere else


async def test_redirect_followed_when_allowed() -> None:
    async with redirecting() as (url, reached):
        await complete(url, allow_redirects=True)
    assert len(reached) == 1
