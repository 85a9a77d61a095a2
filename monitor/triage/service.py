"""Triage as the notifier's side-car: never late, never lost, never misleading.

Every event first gets the rule-based classification, at once. FIRING and UPDATED events are
then queued for the LLM (cheap model: classification; strong model: deep analysis for HIGH
and CRITICAL); each result is put on the results queue as soon as it is ready, as an UPDATED
event of the same fingerprint: a record like any other, never a call back into the notifier. A cache
(fingerprint + evidence hash) and the queue's pending set avoid paying twice; the LLM has its
own concurrency and request-rate caps and a budget.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import Callable
from typing import Annotated

import orjson
from aiolimiter import AsyncLimiter
from pydantic import BaseModel, ConfigDict, Field

from monitor.bounds import Count, Dollars
from monitor.clock import Clock
from monitor.models import AlertEvent, AlertKind, Severity, TriageInfo
from monitor.tasks import Task
from monitor.triage import guard, prompts, rules
from monitor.triage.budget import Budget, Price
from monitor.triage.client import (
    AnalyzeStepSettings,
    LlmClient,
    LlmError,
    LlmSettings,
    StepSettings,
)
from monitor.triage.schema import Analysis, Classification

log = logging.getLogger("monitor.triage")
Context = Callable[[], dict[str, str]]

DEFAULT_PRICES = {  # USD per million tokens; set your own in settings
    "gpt-4.1": Price(input_per_mtok=2.0, output_per_mtok=8.0),
    "gpt-4.1-mini": Price(input_per_mtok=0.4, output_per_mtok=1.6),
    "deepseek-chat": Price(input_per_mtok=0.27, output_per_mtok=1.1),
}


class TriageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    llm: LlmSettings = Field(default_factory=LlmSettings)
    classify: StepSettings = Field(default_factory=StepSettings)
    analyze: AnalyzeStepSettings = Field(default_factory=AnalyzeStepSettings)
    # the model may raise a severity (one level) only this sure of itself
    raise_min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.8
    max_concurrency: Annotated[int, Field(ge=1, le=1000)] = 2
    requests_per_minute: Count = 30
    queue_size: Count = 100
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    hourly_budget_usd: Dollars = 1.0
    daily_budget_usd: Dollars = 10.0


def evidence_key(event: AlertEvent) -> tuple[str, str]:
    digest = hashlib.sha256(orjson.dumps(event.evidence)).hexdigest()[:16]
    return event.fingerprint, digest


class Triage:
    def __init__(
        self, settings: TriageSettings, client: LlmClient | None, clock: Clock, context: Context
    ) -> None:
        self._settings = settings
        self._client = client if settings.enabled else None
        self._clock = clock
        self._context = context
        self.budget = Budget(
            settings.prices, settings.hourly_budget_usd, settings.daily_budget_usd, clock
        )
        self._cache: dict[tuple[str, str], TriageInfo] = {}
        self._pending: set[tuple[str, str]] = set()
        self._queue: asyncio.Queue[AlertEvent] = asyncio.Queue(settings.queue_size)
        self._limiter = AsyncLimiter(settings.requests_per_minute, 60.0)
        # alerts that met an open breaker, by fingerprint: triaged when it closes
        self._deferred: dict[str, AlertEvent] = {}
        self._deferred_added = asyncio.Event()

    def tasks(self, results: asyncio.Queue[AlertEvent]) -> list[Task]:
        """Named coroutine factories: the LLM workers, and the retry of deferred alerts."""
        if self._client is None:
            return []
        out: list[Task] = [
            (f"triage:{i}", lambda: self.worker(results))
            for i in range(self._settings.max_concurrency)
        ]
        out.append(("triage:deferred", self.retry_deferred))
        return out

    def first(self, event: AlertEvent) -> AlertEvent:
        """The event with the rule-based classification: immediate, deterministic."""
        return dataclasses.replace(event, triage=rules.classify(event))

    def submit(self, event: AlertEvent) -> None:
        """Queue an announced event for the LLM (best effort: a full queue keeps the rules').
        Any newer event of a deferred alert replaces it: resolved, or queued in its place."""
        self._deferred.pop(event.fingerprint, None)
        if self._client is None or event.kind not in (AlertKind.FIRING, AlertKind.UPDATED):
            return
        key = evidence_key(event)
        if key in self._cache or key in self._pending:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("triage_queue_full", extra={"fingerprint": event.fingerprint})
            return
        self._pending.add(key)

    async def worker(self, results: asyncio.Queue[AlertEvent]) -> None:
        while True:
            event = await self._queue.get()
            key = evidence_key(event)
            try:
                await self._triage(event, key, results)
            finally:
                self._pending.discard(key)

    async def retry_deferred(self) -> None:
        """When the provider's breaker closes, the alerts that met it open and are still
        firing are queued again (those that meet it open once more wait for the next)."""
        assert self._client is not None
        while True:
            await self._deferred_added.wait()
            ready_at = self._client.ready_at()
            if ready_at > self._clock.monotonic():
                await self._clock.sleep_until(ready_at)
            self._deferred_added.clear()
            deferred, self._deferred = list(self._deferred.values()), {}
            for event in deferred:
                self.submit(event)

    async def _triage(
        self, event: AlertEvent, key: tuple[str, str], results: asyncio.Queue[AlertEvent]
    ) -> None:
        """Two follow-ups, each as soon as it is ready: the classification, then (HIGH and
        CRITICAL) the analysis. Each step is bounded by its own deadline."""
        data = prompts.incident_data(event, self._context())
        found = await self._step(event, "classify", data, Classification)
        if not isinstance(found, Classification):
            return
        settings = self._settings
        info = guard.merge(
            rules.classify(event), found, settings.classify.model, settings.raise_min_confidence
        )
        self._cache[key] = info
        classified = self._update(event, info)
        results.put_nowait(classified)
        if info.severity.rank < Severity.HIGH.rank:
            return
        deep = await self._step(event, "analyze", data, Analysis)
        if isinstance(deep, Analysis):
            analysed = dataclasses.replace(info, analysis=deep.model_dump())
            results.put_nowait(self._update(classified, analysed))

    def _update(self, event: AlertEvent, info: TriageInfo) -> AlertEvent:
        """The follow-up: an UPDATED event; a raised severity names the one it replaces."""
        raised = info.severity.rank > event.severity.rank
        return dataclasses.replace(
            event,
            kind=AlertKind.UPDATED,
            triage=info,
            severity=info.severity if raised else event.severity,
            previous_severity=event.severity if raised else event.previous_severity,
            at_s=self._clock.wall(),
        )

    async def _step(
        self, event: AlertEvent, name: str, data: dict[str, object], schema: type[BaseModel]
    ) -> BaseModel | None:
        """One step (classify or analyze); every outcome is counted against the budget."""
        assert self._client is not None
        step: StepSettings = getattr(self._settings, name)
        instructions = prompts.INSTRUCTIONS[name]
        try:
            if not self.budget.allows():
                raise LlmError("over budget", "over_budget")
            await self._limiter.acquire()
            done = await self._client.complete(step, prompts.messages(instructions, data), schema)
        except LlmError as exc:
            self.budget.record(step.model, name, exc.tally, exc.code)
            if exc.code == "breaker_open":
                self._deferred[event.fingerprint] = event
                self._deferred_added.set()
            log.warning(
                "triage_failed",
                extra={
                    "fingerprint": event.fingerprint,
                    "step": name,
                    "model": step.model,
                    "reason": str(exc),
                },
            )
            return None
        self.budget.record(done.model, name, done.tally)
        return done.value
