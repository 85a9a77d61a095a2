"""Tokens and cost per model, and the hourly and daily budgets after which triage falls back
to the rule-based classifier."""

from __future__ import annotations

import collections
import dataclasses

from pydantic import BaseModel, ConfigDict

from monitor.bounds import Dollars
from monitor.clock import Clock

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: Dollars  # USD per million prompt tokens
    output_per_mtok: Dollars


@dataclasses.dataclass(slots=True)
class ModelUsage:
    calls: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class Budget:
    def __init__(
        self, prices: dict[str, Price], hourly_usd: float, daily_usd: float, clock: Clock
    ) -> None:
        self._prices = prices
        self._hourly = hourly_usd
        self._daily = daily_usd
        self._clock = clock
        self._spent: collections.deque[tuple[float, float]] = collections.deque()
        self.usage: dict[str, ModelUsage] = {}

    def _spent_since(self, horizon_s: float) -> float:
        return sum(cost for at, cost in self._spent if at >= horizon_s)

    def allows(self) -> bool:
        now = self._clock.wall()
        while self._spent and self._spent[0][0] < now - DAY_S:
            self._spent.popleft()
        return (
            self._spent_since(now - HOUR_S) < self._hourly
            and self._spent_since(now - DAY_S) < self._daily
        )

    def record(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self._prices.get(model)
        cost = 0.0
        if price is not None:
            cost = (
                prompt_tokens * price.input_per_mtok + completion_tokens * price.output_per_mtok
            ) / 1e6
        usage = self.usage.setdefault(model, ModelUsage())
        usage.calls += 1
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens
        usage.cost_usd += cost
        self._spent.append((self._clock.wall(), cost))
        return cost

    def failed(self, model: str) -> None:
        self.usage.setdefault(model, ModelUsage()).failures += 1
