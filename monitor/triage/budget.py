"""Tokens and cost per model, and the hourly and daily budgets after which triage falls back
to the rule-based classifier."""

from __future__ import annotations

import collections
import dataclasses

from pydantic import BaseModel, ConfigDict

from monitor.bounds import Dollars
from monitor.clock import Clock
from monitor.triage.client import Tally

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: Dollars  # USD per million prompt tokens
    output_per_mtok: Dollars


@dataclasses.dataclass(slots=True)
class ModelUsage:
    """One model in one step: HTTP calls, failed steps by reason, tokens and cost of every
    answer that reported usage, used or not."""

    calls: int = 0
    failures: dict[str, int] = dataclasses.field(default_factory=dict)
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
        self.usage: dict[tuple[str, str], ModelUsage] = {}  # by (model, step)

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

    def record(self, model: str, step: str, tally: Tally, failure: str | None = None) -> float:
        """Count one step's calls and tokens (failed or not) against the budgets."""
        price = self._prices.get(model)
        cost = 0.0
        if price is not None:
            cost = (
                tally.prompt_tokens * price.input_per_mtok
                + tally.completion_tokens * price.output_per_mtok
            ) / 1e6
        usage = self.usage.setdefault((model, step), ModelUsage())
        usage.calls += tally.calls
        usage.prompt_tokens += tally.prompt_tokens
        usage.completion_tokens += tally.completion_tokens
        usage.cost_usd += cost
        if failure is not None:
            usage.failures[failure] = usage.failures.get(failure, 0) + 1
        self._spent.append((self._clock.wall(), cost))
        return cost
