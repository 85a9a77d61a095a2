"""Per-channel circuit breaker: after `threshold` consecutive failures the channel rests for
`cooldown_s`; then one attempt decides (half-open)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, PositiveFloat, PositiveInt


class BreakerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: PositiveInt = 5
    cooldown_s: PositiveFloat = 30.0


class CircuitBreaker:
    __slots__ = ("_failures", "_open_until", "_settings")

    def __init__(self, settings: BreakerSettings) -> None:
        self._settings = settings
        self._failures = 0
        self._open_until = 0.0

    def closed_at(self, now_s: float) -> float:
        """When the next attempt may start (now, or the end of the cool-down)."""
        return max(now_s, self._open_until)

    def success(self) -> None:
        self._failures = 0
        self._open_until = 0.0

    def failure(self, now_s: float) -> None:
        self._failures += 1
        if self._failures >= self._settings.threshold:
            self._open_until = now_s + self._settings.cooldown_s
