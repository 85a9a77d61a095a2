"""Structured output per server family: each profile's request, downgrades only on the
server's "unsupported response_format" answer, logged once, the better mode retried after an
hour; numbers clamped."""

from __future__ import annotations

import logging

import pytest

from monitor.triage.client import RETRY_BETTER_S
from monitor.triage.schema import Classification
from tests.triage.fake_llm import JSON_OBJECT_ONLY, llamacpp_family, ok
from tests.triage.test_client import MESSAGES, STEP, client, error

DOWNGRADED = "llm_structured_output_downgraded"
CLASSIFIED_LOW = {"incident_type": "outage", "severity": "low", "confidence": 0.5, "summary": "x"}


async def test_llamacpp_profile_sends_the_schema_inside_json_object() -> None:
    """Fails before: json_schema, a 500, then json_object without the schema (unusable)."""
    async with client(provider="llamacpp", responder=llamacpp_family) as (llm, fake, _):
        done = await llm.complete(STEP, MESSAGES, Classification)
    assert isinstance(done.value, Classification) and len(fake.requests) == 1
    sent = fake.requests[0]["response_format"]
    assert sent["type"] == "json_object" and sent["schema"]["title"] == "Classification"


async def test_generic_profile_finds_the_llamacpp_form_logs_once_and_retries_after_an_hour(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "monitor.triage")
    async with client(responder=llamacpp_family) as (llm, fake, clock):
        await llm.complete(STEP, MESSAGES, Classification)
        await llm.complete(STEP, MESSAGES, Classification)
        clock.offset += RETRY_BETTER_S
        await llm.complete(STEP, MESSAGES, Classification)
    kinds = [(r.get("response_format") or {}).get("type") for r in fake.requests]
    assert kinds == ["json_schema", "json_object", "json_object", "json_schema", "json_object"]
    assert all("schema" in r["response_format"] for r in fake.requests[1:3])
    downgrades = [r for r in caplog.records if r.getMessage() == DOWNGRADED]
    assert len(downgrades) == 2  # once, then once more after the hourly retry of the best
    assert downgrades[0].__dict__["model"] == "cheap"
    assert JSON_OBJECT_ONLY in downgrades[0].__dict__["reason"]


async def test_a_plain_500_is_retried_not_downgraded() -> None:
    """Fails before: any 500 downgraded the model for good."""
    async with client(error(500, "boom"), ok(CLASSIFIED_LOW)) as (llm, fake, _):
        await llm.complete(STEP, MESSAGES, Classification)
    assert [r["response_format"]["type"] for r in fake.requests] == ["json_schema"] * 2


async def test_ollama_profile_sends_format_schema() -> None:
    async with client(provider="ollama") as (llm, fake, _):
        await llm.complete(STEP, MESSAGES, Classification)
    body = fake.requests[0]
    assert body["format"]["title"] == "Classification" and "response_format" not in body


@pytest.mark.parametrize("provider", ["openai", "vllm"])
async def test_openai_and_vllm_send_strict_json_schema(provider: str) -> None:
    async with client(provider=provider) as (llm, fake, _):
        await llm.complete(STEP, MESSAGES, Classification)
    sent = fake.requests[0]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["strict"] is True


async def test_out_of_range_confidence_is_clamped() -> None:
    answer = {**CLASSIFIED_LOW, "confidence": 1.7}
    async with client(ok(answer)) as (llm, _, _clock):
        done = await llm.complete(STEP, MESSAGES, Classification)
    assert isinstance(done.value, Classification) and done.value.confidence == 1.0
