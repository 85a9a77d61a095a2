"""An in-process OpenAI-compatible server scripted answer by answer, and a clock that records
every wait instead of waiting."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import TestServer

HANG = "hang"


@dataclasses.dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict (JSON), bytes, or HANG
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def completion(
    content: str, finish: str = "stop", usage: tuple[int, int] = (120, 30), **message: Any
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def ok(content: dict[str, Any] | str) -> Answer:
    text = content if isinstance(content, str) else orjson.dumps(content).decode()
    return Answer(200, completion(text))


CLASSIFIED = {
    "incident_type": "outage",
    "severity": "critical",
    "confidence": 0.9,
    "summary": "okx unreachable from every endpoint",
}
ANALYSIS = {
    "measured": ["3 consecutive connect errors on every okx endpoint"],
    "hypotheses": ["okx edge outage"],
    "root_causes": [
        {
            "cause": "okx API gateway down",
            "likelihood": 0.7,
            "supporting_measurements": ["refused on all endpoints"],
        }
    ],
    "immediate_actions": ["pause okx strategies"],
    "prevention": ["multi-venue failover"],
    "notify": ["trading desk"],
    "action_plan": {
        "immediate_actions": ["pause okx"],
        "communication_plan": "desk channel",
        "escalation_criteria": "over 15 min",
        "estimated_resolution_time": "30 min",
        "post_incident_actions": ["review failover"],
    },
}


Responder = Callable[[dict[str, Any]], Answer]

JSON_OBJECT_ONLY = "Input should be 'text' or 'json_object'"


def llamacpp_family(request: dict[str, Any]) -> Answer:
    """llama-cpp-python's server: json_schema is an HTTP 500; json_object with a schema is
    grammar-constrained (schema-valid); json_object alone lets a small model ramble."""
    response_format = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return Answer(500, {"error": {"message": JSON_OBJECT_ONLY, "type": "internal_error"}})
    if response_format.get("type") == "json_object" and "schema" in response_format:
        return ok(CLASSIFIED)
    return Answer(200, completion('{"incident": "the exchange is', finish="length"))


class FakeLlm:
    def __init__(self, script: list[Answer], responder: Responder | None = None) -> None:
        self.script = list(script)
        self.responder = responder  # answers once the script is spent
        self.usage_sent = [0, 0]  # prompt, completion tokens reported in every answer
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.release = asyncio.Event()  # never set: a HANG answer waits forever

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(orjson.loads(await request.read()))
        self.headers.append(dict(request.headers))
        if self.script:
            answer = self.script.pop(0)
        else:
            answer = (self.responder or (lambda _: ok(CLASSIFIED)))(self.requests[-1])
        if isinstance(answer.body, dict) and isinstance(answer.body.get("usage"), dict):
            self.usage_sent[0] += answer.body["usage"]["prompt_tokens"]
            self.usage_sent[1] += answer.body["usage"]["completion_tokens"]
        if answer.body == HANG:
            await self.release.wait()
        if isinstance(answer.body, bytes):
            return web.Response(status=answer.status, body=answer.body, headers=answer.headers)
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)


@asynccontextmanager
async def fake_llm(
    *script: Answer, responder: Responder | None = None
) -> AsyncIterator[tuple[str, FakeLlm]]:
    fake = FakeLlm(list(script), responder)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/v1")), fake
    finally:
        await server.close()


class RecordingClock:
    """Real instants plus a virtual offset: sleep() records the wait and moves time on."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []
        self._loop = asyncio.get_running_loop()

    def monotonic(self) -> float:
        return self._loop.time() + self.offset

    def wall(self) -> float:
        return 1_760_000_000.0 + self.monotonic()

    async def sleep(self, delay_s: float) -> None:
        self.slept.append(delay_s)
        self.offset += delay_s

    async def sleep_until(self, deadline: float) -> None:
        await self.sleep(max(deadline - self.monotonic(), 0.0))
