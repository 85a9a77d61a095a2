"""The ONE retry policy, circuit breaker and Retry-After parser (notifications, LLM calls,
venue back-off): retry only 408, 409, 429, 5xx and transport errors; honour Retry-After;
otherwise exponential backoff with full jitter under a ceiling; give up by time, not by a
count of attempts."""

from __future__ import annotations

import dataclasses
import email.utils
import math
import random

from pydantic import BaseModel, ConfigDict, Field

DAY_S = 86_400.0
MAX_HONOURED_S = 3600.0  # the longest stay-away a server's hint (Retry-After, a ban) gets
RETRYABLE_STATUSES = frozenset({408, 409, 429})


def retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now_s, 0.0)


def exponential_s(base_s: float, attempt: int, cap_s: float) -> float:
    """`base_s` doubled `attempt` times (from 0), never above `cap_s`."""
    return min(cap_s, base_s * 2.0 ** min(attempt, 64))


def honoured_wait_s(wait_s: float, cap_s: float = MAX_HONOURED_S) -> float | None:
    """A wait a server asked for, capped; None when it asked for none."""
    return min(wait_s, cap_s) if wait_s > 0 else None


class RetrySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_s: float = Field(default=1.0, gt=0, le=3600)  # first backoff ceiling
    cap_s: float = Field(default=60.0, gt=0, le=3600)  # backoff ceiling
    max_retry_s: float = Field(default=DAY_S, gt=0, le=7 * DAY_S)  # give up after this long


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    settings: RetrySettings
    rng: random.Random

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        """Wait before attempt `attempt + 1` (attempt counts from 1)."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.settings.max_retry_s)
        ceiling = exponential_s(self.settings.base_s, attempt - 1, self.settings.cap_s)
        return self.rng.uniform(0.0, ceiling)

    def next_attempt_at(
        self,
        attempt: int,
        retryable: bool,
        retry_after_s: float | None,
        now_s: float,
        first_at_s: float,
    ) -> float | None:
        """When to try again, or None to give up: not retryable, or `max_retry_s` after
        `first_at_s` has passed (the last attempt is made at that time at the latest)."""
        give_up_at = first_at_s + self.settings.max_retry_s
        if not retryable or now_s >= give_up_at:
            return None
        return min(now_s + self.delay_s(attempt, retry_after_s), give_up_at)


class BreakerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: int = Field(default=5, ge=1, le=10_000)  # consecutive failures that open it
    cooldown_s: float = Field(default=30.0, gt=0, le=3600)  # rest before the probe attempt


class CircuitBreaker:
    """After `threshold` consecutive failures the caller rests for `cooldown_s`; then one
    attempt (the probe) decides: success closes it, failure rests again."""

    __slots__ = ("_failures", "_open_until", "_settings")

    def __init__(self, settings: BreakerSettings) -> None:
        self._settings = settings
        self._failures = 0
        self._open_until = 0.0

    def closed_at(self, now_s: float) -> float:
        """When the next attempt may start (now, or the end of the cool-down)."""
        return max(now_s, self._open_until)

    def probing(self, now_s: float) -> bool:
        """The cool-down is over but the channel has not yet proven itself: one attempt."""
        return self._failures >= self._settings.threshold and now_s >= self._open_until

    def success(self) -> None:
        self._failures = 0
        self._open_until = 0.0

    def failure(self, now_s: float) -> None:
        self._failures += 1
        if self._failures >= self._settings.threshold:
            self._open_until = now_s + self._settings.cooldown_s
