"""The ONE retry policy (notifications and LLM calls): retry only 408, 429, 5xx and transport
errors; honour Retry-After; otherwise exponential backoff with full jitter; cap the attempts
and the total time."""

from __future__ import annotations

import dataclasses
import random

from pydantic import BaseModel, ConfigDict, PositiveFloat, PositiveInt


def retryable_status(status: int) -> bool:
    return status in (408, 429) or status >= 500


class RetrySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_s: PositiveFloat = 1.0
    cap_s: PositiveFloat = 300.0
    max_attempts: PositiveInt = 12
    max_total_s: PositiveFloat = 6 * 3600.0


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    settings: RetrySettings
    rng: random.Random

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        """Wait before attempt `attempt + 1` (attempt counts from 1)."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.settings.max_total_s)
        ceiling = min(self.settings.cap_s, self.settings.base_s * 2 ** (attempt - 1))
        return self.rng.uniform(0.0, ceiling)

    def next_attempt_at(
        self,
        attempt: int,
        retryable: bool,
        retry_after_s: float | None,
        now_s: float,
        first_at_s: float,
    ) -> float | None:
        """When to try again, or None to give up (dead-letter)."""
        if not retryable or attempt >= self.settings.max_attempts:
            return None
        at = now_s + self.delay_s(attempt, retry_after_s)
        return at if at - first_at_s <= self.settings.max_total_s else None
