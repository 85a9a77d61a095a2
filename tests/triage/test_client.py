"""The LLM client against a scripted OpenAI-compatible server."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from monitor.triage.client import LlmClient, LlmError, LlmSettings, StepSettings
from monitor.triage.schema import Classification
from tests.triage.fake_llm import (
    CLASSIFIED,
    HANG,
    Answer,
    FakeLlm,
    RecordingClock,
    Responder,
    completion,
    fake_llm,
    ok,
)

STEP = StepSettings(model="cheap", deadline_s=20, max_tokens=200)
MESSAGES = [{"role": "system", "content": "classify"}, {"role": "user", "content": "data"}]


@asynccontextmanager
async def client(
    *script: Answer, provider: str = "generic", responder: Responder | None = None, **settings: Any
) -> AsyncIterator[tuple[LlmClient, FakeLlm, RecordingClock]]:
    clock = RecordingClock()
    async with (
        fake_llm(*script, responder=responder) as (url, fake),
        aiohttp.ClientSession() as session,
    ):
        llm = LlmClient(
            LlmSettings(base_url=url, api_key="sk-canary-123", provider=provider, **settings),
            session,
            clock,
            random.Random(4),
        )
        yield llm, fake, clock


def error(status: int, message: str, code: str | None = None, **headers: str) -> Answer:
    body = {"error": {"message": message, "type": code or "server_error", "code": code}}
    return Answer(status, body, headers)


async def test_429_with_retry_after_then_success() -> None:
    async with client(error(429, "Rate limit reached", **{"retry-after": "2"}), ok(CLASSIFIED)) as (
        llm,
        fake,
        clock,
    ):
        done = await llm.complete(STEP, MESSAGES, Classification)
    assert isinstance(done.value, Classification) and done.value.incident_type == "outage"
    assert len(fake.requests) == 2 and clock.slept == [2.0]
    assert (done.tally.calls, done.tally.prompt_tokens, done.tally.completion_tokens) == (
        2,
        120,
        30,
    )
    assert fake.headers[0]["Authorization"] == "Bearer sk-canary-123"


async def test_retry_after_ms_wins() -> None:
    answer = error(503, "busy", **{"retry-after-ms": "1500", "retry-after": "9"})
    async with client(answer, ok(CLASSIFIED)) as (llm, _, clock):
        await llm.complete(STEP, MESSAGES, Classification)
    assert clock.slept == [1.5]


async def test_insufficient_quota_is_one_call_then_fallback() -> None:
    async with client(error(429, "You exceeded your current quota", "insufficient_quota")) as (
        llm,
        fake,
        clock,
    ):
        with pytest.raises(LlmError, match="quota"):
            await llm.complete(STEP, MESSAGES, Classification)
    assert len(fake.requests) == 1 and clock.slept == []


async def test_500_three_times_gives_up_within_the_deadline() -> None:
    async with client(*[error(500, "boom")] * 3, ok(CLASSIFIED), provider="deepseek") as (
        llm,
        fake,
        clock,
    ):
        start = clock.monotonic()
        with pytest.raises(LlmError):
            await llm.complete(STEP, MESSAGES, Classification)
        assert clock.monotonic() - start < STEP.deadline_s
    assert len(fake.requests) == 3
    # full jitter within the policy: attempt n waits in [0, min(8, 0.5 * 2^(n-1))]
    assert len(clock.slept) == 2
    assert 0 <= clock.slept[0] <= 0.5 and 0 <= clock.slept[1] <= 1.0


async def test_retry_after_beyond_120_s_falls_back_to_backoff() -> None:
    async with client(error(429, "slow down", **{"retry-after": "600"}), ok(CLASSIFIED)) as (
        llm,
        _,
        clock,
    ):
        await llm.complete(STEP, MESSAGES, Classification)
    assert len(clock.slept) == 1 and clock.slept[0] <= 0.5


@pytest.mark.parametrize(
    ("first", "provider"),
    [
        (
            error(400, "This response_format type is unavailable now", "invalid_request_error"),
            "openai",
        ),
        (error(500, "Input should be 'text' or 'json_object'"), "openai"),
    ],
)
async def test_rejected_json_schema_downgrades_to_json_object(first: Answer, provider: str) -> None:
    async with client(first, ok(CLASSIFIED), provider=provider) as (llm, fake, clock):
        done = await llm.complete(STEP, MESSAGES, Classification)
        second = fake.requests[1]
        await llm.complete(STEP, MESSAGES, Classification)  # the downgrade is remembered
    assert isinstance(done.value, Classification)
    assert fake.requests[0]["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object"}
    assert "JSON Schema" in second["messages"][0]["content"]
    assert fake.requests[2]["response_format"] == {"type": "json_object"}
    assert clock.slept == []


@pytest.mark.parametrize(
    "bad",
    [
        Answer(200, completion("   ")),
        Answer(200, completion('{"incident_type": "outage", "sev', finish="length")),
        Answer(200, completion("not json at all")),
        Answer(
            200,
            completion(
                '{"incident_type": "meteor", "severity": "low", "confidence": 2, "summary": "x"}'
            ),
        ),
        Answer(200, {"error": {"message": "overloaded"}}),
    ],
    ids=["blank", "length", "malformed", "schema", "error-in-200"],
)
async def test_unusable_200_gets_one_retry_then_fallback(bad: Answer) -> None:
    async with client(bad, bad, ok(CLASSIFIED)) as (llm, fake, _):
        with pytest.raises(LlmError):
            await llm.complete(STEP, MESSAGES, Classification)
        assert len(fake.requests) == 2
    async with client(bad, ok(CLASSIFIED)) as (llm, fake, _):
        await llm.complete(STEP, MESSAGES, Classification)
        assert len(fake.requests) == 2


@pytest.mark.parametrize(
    "final",
    [
        error(401, "bad key"),
        error(403, "forbidden"),
        error(404, "no model"),
        error(413, "too big"),
        error(422, "bad"),
        error(402, "pay"),
        error(429, "Request too large for gpt-4.1"),
        Answer(200, completion("", finish="content_filter")),
        Answer(200, completion("", refusal="I can't help with that")),
    ],
    ids=["401", "403", "404", "413", "422", "402", "429-too-large", "filter", "refusal"],
)
async def test_never_retried(final: Answer) -> None:
    async with client(final, ok(CLASSIFIED), provider="deepseek") as (llm, fake, _):
        with pytest.raises(LlmError):
            await llm.complete(STEP, MESSAGES, Classification)
    assert len(fake.requests) == 1


async def test_hang_ends_at_the_step_deadline() -> None:
    step = StepSettings(model="cheap", deadline_s=0.3, max_tokens=100)
    async with client(Answer(200, HANG)) as (llm, fake, _):
        with pytest.raises(LlmError, match="deadline"):
            await llm.complete(step, MESSAGES, Classification)
    assert len(fake.requests) == 1


async def test_rate_limit_headers_pace_the_next_call() -> None:
    paced = Answer(
        200,
        completion(
            '{"incident_type": "outage", "severity": "high", "confidence": 0.5, "summary": "x"}'
        ),
        {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1m2s"},
    )
    async with client(paced, ok(CLASSIFIED)) as (llm, fake, clock):
        await llm.complete(STEP, MESSAGES, Classification)
        assert clock.slept == []
        with pytest.raises(LlmError, match="resets after the deadline"):
            await llm.complete(STEP, MESSAGES, Classification)  # 62 s > the 20 s deadline
        long_step = StepSettings(model="cheap", deadline_s=90, max_tokens=100)
        await llm.complete(long_step, MESSAGES, Classification)
    assert len(fake.requests) == 2
    assert clock.slept == [pytest.approx(62, abs=0.5)]


async def test_circuit_breaker_cools_a_failing_provider() -> None:
    async with client(*[error(401, "bad key")] * 3) as (llm, fake, _):
        for _ in range(3):
            with pytest.raises(LlmError):
                await llm.complete(STEP, MESSAGES, Classification)
        with pytest.raises(LlmError, match="cooling down"):
            await llm.complete(STEP, MESSAGES, Classification)
    assert len(fake.requests) == 3
