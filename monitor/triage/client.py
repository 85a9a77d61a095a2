"""A resilient OpenAI-compatible chat-completions client over aiohttp.

One step (classification or analysis) has a total deadline, at most three calls (the first
and two retries, a structured-output downgrade included), backoff by the one retry policy
(Retry-After honoured up to 120 s when it fits the deadline; else full jitter capped at 8 s),
pacing by x-ratelimit-* headers, and a circuit breaker that cools a failing provider down.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import aiohttp
import orjson
import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from monitor.bounds import Count
from monitor.clock import Clock
from monitor.retry import BreakerSettings, CircuitBreaker, RetryPolicy, RetrySettings
from monitor.triage.providers import (
    PROVIDERS,
    Mode,
    ProviderProfile,
    schema_hint,
    structured_output,
)
from monitor.triage.verdict import Kind, Verdict, failure_code, judge_ok, judge_status
from monitor.urls import HttpUrlStr

MAX_CALLS = 3  # the first call and at most two retries
MAX_RETRY_AFTER_S = 120.0
RETRY_BETTER_S = 3600.0  # a downgraded model is offered its best mode again after an hour
log = logging.getLogger("monitor.triage")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class StepSettings(BaseModel):
    """One step's model and limits. Every field has a default (the classification step's), so
    that setting one field of a step keeps the others."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "gpt-4.1-mini"
    deadline_s: Annotated[float, Field(gt=0, le=600)] = 20.0
    max_tokens: Count = 300
    temperature: float = Field(default=0.0, ge=0, le=2)


class AnalyzeStepSettings(StepSettings):
    """The deep analysis: the strong model, more time and tokens."""

    model: str = "gpt-4.1"
    deadline_s: Annotated[float, Field(gt=0, le=600)] = 60.0
    max_tokens: Count = 1500


class LlmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: HttpUrlStr = "https://api.openai.com/v1"
    api_key: SecretStr | None = None
    provider: Literal["openai", "deepseek", "llamacpp", "ollama", "vllm", "generic"] = "openai"
    # Off: a redirect would carry the API key and the prompt wherever it points.
    allow_redirects: bool = False
    breaker: BreakerSettings = Field(
        default_factory=lambda: BreakerSettings(threshold=3, cooldown_s=60)
    )


@dataclasses.dataclass(slots=True)
class Tally:
    """What one step cost: HTTP calls made and the tokens every answer reported, used or not."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, verdict: Verdict) -> None:
        self.calls += 1
        self.prompt_tokens += verdict.usage[0]
        self.completion_tokens += verdict.usage[1]


class LlmError(Exception):
    """The step failed; the caller falls back to the rule-based classification. `code` is a
    bounded reason (a metrics label); `tally` what the failed step still cost."""

    def __init__(self, reason: str, code: str, tally: Tally | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.tally = tally or Tally()


@dataclasses.dataclass(frozen=True, slots=True)
class Completion:
    value: BaseModel
    model: str
    tally: Tally


def parse_duration(text: str | None) -> float | None:
    """OpenAI's x-ratelimit-reset-* values: "1s", "6m0s", "59ms"."""
    if not text:
        return None
    parts = _DURATION.findall(text)
    return sum(float(n) * _UNIT_S[u] for n, u in parts) if parts else None


class LlmClient:
    def __init__(
        self,
        settings: LlmSettings,
        session: aiohttp.ClientSession,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._session = session
        self._clock = clock
        self._profile: ProviderProfile = PROVIDERS[settings.provider]
        # per model: the downgraded mode and since when (monotonic); the best is retried later
        self._modes: dict[str, tuple[Mode, float]] = {}
        self._breaker = CircuitBreaker(settings.breaker)
        self._policy = RetryPolicy(RetrySettings(base_s=0.5, cap_s=8.0), rng or random.Random())
        self._not_before = 0.0  # monotonic: pacing from rate-limit headers

    def ready_at(self) -> float:
        """When (monotonic) the breaker lets the next call through: now, or its cool-down end."""
        return self._breaker.closed_at(self._clock.monotonic())

    async def complete(
        self, step: StepSettings, messages: list[dict[str, str]], schema: type[BaseModel]
    ) -> Completion:
        clock = self._clock
        deadline = clock.monotonic() + step.deadline_s
        if self.ready_at() > clock.monotonic():
            raise LlmError("provider cooling down after failures", "breaker_open")
        tally = Tally()
        unusable_seen = False
        verdict = Verdict(Kind.FINAL, "no call made")
        for call in range(1, MAX_CALLS + 1):
            if not await self._pace(deadline):
                raise LlmError("rate limit resets after the deadline", "rate_limited", tally)
            verdict = await self._call(step, messages, schema, deadline)
            tally.add(verdict)
            if verdict.kind is Kind.OK:
                self._breaker.success()
                return Completion(verdict.value, step.model, tally)
            if verdict.kind is Kind.FINAL or (verdict.kind is Kind.UNUSABLE and unusable_seen):
                break
            unusable_seen |= verdict.kind is Kind.UNUSABLE
            if verdict.kind is Kind.DOWNGRADE:
                self._downgrade(step.model, verdict.mode, verdict.reason)
                continue
            if call < MAX_CALLS and not await self._backoff(call, verdict, deadline):
                self._breaker.failure(clock.monotonic())
                reason = verdict.reason + "; no time left to retry"
                raise LlmError(reason, failure_code(verdict.reason), tally)
        self._breaker.failure(clock.monotonic())
        raise LlmError(verdict.reason, failure_code(verdict.reason), tally)

    async def _backoff(self, call: int, verdict: Verdict, deadline: float) -> bool:
        hinted = verdict.retry_after_s
        if hinted is not None and hinted <= MAX_RETRY_AFTER_S:
            delay = hinted
        else:
            delay = self._policy.delay_s(call, None)
        if self._clock.monotonic() + delay >= deadline:
            return False
        await self._clock.sleep(delay)
        return True

    async def _pace(self, deadline: float) -> bool:
        """Wait out a rate-limit reset; False when it comes after the deadline."""
        wait = self._not_before - self._clock.monotonic()
        if wait <= 0:
            return True
        if self._clock.monotonic() + wait >= deadline:
            return False
        await self._clock.sleep(wait)
        return True

    def mode(self, model: str) -> Mode:
        """The structured-output mode for `model`: its downgrade, for an hour after it."""
        best = self._profile.modes[0]
        mode, since = self._modes.get(model, (best, 0.0))
        if mode is not best and self._clock.monotonic() - since >= RETRY_BETTER_S:
            del self._modes[model]
            log.info("llm_structured_output_retry", extra={"model": model, "mode": best.value})
            return best
        return mode

    def _downgrade(self, model: str, rejected: Mode, reason: str) -> None:
        if self.mode(model) is not rejected:
            return  # another call already moved this model down
        mode = self._profile.after(rejected)
        self._modes[model] = (mode, self._clock.monotonic())
        log.warning(
            "llm_structured_output_downgraded",
            extra={"model": model, "from": rejected.value, "to": mode.value, "reason": reason},
        )

    def _body(
        self,
        step: StepSettings,
        mode: Mode,
        messages: list[dict[str, str]],
        schema: type[BaseModel],
    ) -> dict[str, Any]:
        schema_json = schema.model_json_schema()
        if mode.schema_in_prompt:
            hint = schema_hint(schema_json)
            messages = [{**messages[0], "content": messages[0]["content"] + hint}, *messages[1:]]
        body: dict[str, Any] = {
            "model": step.model,
            "messages": messages,
            self._profile.max_tokens_field: step.max_tokens,
        }
        if self._profile.send_temperature:
            body["temperature"] = step.temperature
        body |= structured_output(mode, schema.__name__.lower(), schema_json)
        return body | self._profile.extra_body

    async def _call(
        self,
        step: StepSettings,
        messages: list[dict[str, str]],
        schema: type[BaseModel],
        deadline: float,
    ) -> Verdict:
        remaining = deadline - self._clock.monotonic()
        if remaining <= 0:
            return Verdict(Kind.FINAL, "deadline passed")
        mode = self.mode(step.model)
        headers = {"Content-Type": "application/json"}
        if self._settings.api_key is not None:
            headers["Authorization"] = f"Bearer {self._settings.api_key.get_secret_value()}"
        try:
            async with (
                asyncio.timeout(remaining),
                self._session.post(
                    f"{self._settings.base_url}/chat/completions",
                    headers=headers,
                    data=orjson.dumps(self._body(step, mode, messages, schema)),
                    allow_redirects=self._settings.allow_redirects,
                ) as response,
            ):
                raw = await response.content.read(1 << 20)
                self._remember_limits(response.headers)
                if response.status != 200:
                    return judge_status(
                        response.status,
                        response.headers,
                        raw,
                        mode,
                        self._clock.wall(),
                    )
                return judge_ok(raw, schema)
        except TimeoutError:
            return Verdict(Kind.FINAL, "deadline passed")
        except (aiohttp.ClientError, OSError) as exc:
            return Verdict(Kind.RETRY, f"transport: {type(exc).__name__}")
        except pydantic.ValidationError:
            return Verdict(Kind.UNUSABLE, "content does not match the schema")

    def _remember_limits(self, headers: Mapping[str, str]) -> None:
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}"))
            if remaining is not None and remaining.strip() == "0" and reset is not None:
                self._not_before = max(self._not_before, self._clock.monotonic() + reset)
