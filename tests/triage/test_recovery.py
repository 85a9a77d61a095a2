"""Alerts that met an open breaker are triaged when it closes (fake clock), and every failed
step is logged with the alert, the step, the model and the reason."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from monitor.models import AlertEvent, AlertKind, Severity
from monitor.triage.client import LlmClient
from monitor.triage.service import Triage, TriageSettings
from tests.fakes import FakeClock
from tests.notify.helpers import event
from tests.triage.fake_llm import Answer, FakeLlm, fake_llm, ok

COOLDOWN_S = 60.0
MEDIUM = {"incident_type": "outage", "severity": "medium", "confidence": 0.9, "summary": "s"}
REFUSED = Answer(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})


@contextlib.asynccontextmanager
async def running(
    clock: FakeClock, *script: Answer
) -> AsyncIterator[tuple[Triage, asyncio.Queue[AlertEvent], FakeLlm]]:
    async with fake_llm(*script, responder=lambda _: ok(MEDIUM)) as (url, fake):
        settings = TriageSettings.model_validate(
            {
                "enabled": True,
                "llm": {"base_url": url, "breaker": {"threshold": 1, "cooldown_s": COOLDOWN_S}},
                "classify": {"model": "cheap"},
                "max_concurrency": 1,
            }
        )
        async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as tg:
            triage = Triage(settings, LlmClient(settings.llm, session, clock), clock, dict)
            results: asyncio.Queue[AlertEvent] = asyncio.Queue()
            tasks = [tg.create_task(f(), name=n) for n, f in triage.tasks(results)]
            yield triage, results, fake
            for task in tasks:
                task.cancel()


def alert(venue: str, kind: AlertKind = AlertKind.FIRING) -> AlertEvent:
    return event(rule="HIGH_LATENCY", venue=venue, severity=Severity.MEDIUM, kind=kind)


async def test_an_alert_that_met_the_open_breaker_is_triaged_when_it_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fails before: the alert that met the open breaker never got its follow-up."""
    caplog.set_level(logging.WARNING, "monitor.triage")
    clock = FakeClock()
    async with running(clock, REFUSED) as (triage, results, fake):
        triage.submit(alert("okx"))  # refused: the breaker opens
        triage.submit(alert("kraken"))  # meets the open breaker: no call, deferred
        async with asyncio.timeout(2):
            await clock.wait_sleepers(1)  # the retry waits for the cool-down
            assert len(fake.requests) == 1
            await clock.run_for(COOLDOWN_S + 1, sleepers=0)
            follow_up = await results.get()
    assert follow_up.fingerprint == "HIGH_LATENCY/kraken" and follow_up.kind is AlertKind.UPDATED
    assert follow_up.triage is not None and follow_up.triage.source == "llm"
    failed = [r.__dict__ for r in caplog.records if r.getMessage() == "triage_failed"]
    assert [(f["fingerprint"], f["step"], f["model"], f["reason"]) for f in failed] == [
        ("HIGH_LATENCY/okx", "classify", "cheap", "HTTP 400"),
        ("HIGH_LATENCY/kraken", "classify", "cheap", "provider cooling down after failures"),
    ]


async def test_an_alert_resolved_while_the_breaker_is_open_is_not_triaged() -> None:
    clock = FakeClock()
    async with running(clock, REFUSED) as (triage, results, fake):
        triage.submit(alert("okx"))
        triage.submit(alert("kraken"))
        triage.submit(alert("bybit"))
        async with asyncio.timeout(2):
            await clock.wait_sleepers(1)
            triage.submit(alert("kraken", AlertKind.RESOLVED))
            await clock.run_for(COOLDOWN_S + 1, sleepers=0)
            follow_up = await results.get()
        assert follow_up.fingerprint == "HIGH_LATENCY/bybit"
        # kraken was deferred before bybit: it would have been asked first
        assert ['"venue":"kraken"' in r["messages"][1]["content"] for r in fake.requests] == [
            False,
            False,
        ]
