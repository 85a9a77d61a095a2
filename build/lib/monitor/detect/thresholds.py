"""Rule thresholds as data. Global values live in `MONITOR_RULES__*`; any of them can be
overridden per exchange (`MONITOR_EXCHANGES__<VENUE>__RULES__*`) and per endpoint
(`MONITOR_EXCHANGES__<VENUE>__ENDPOINTS__<NAME>__RULES__*`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)

from monitor.models import Severity

LatencyStat = Literal["p50", "p95", "p99", "max", "last"]


class Thresholds(BaseModel):
    """Every rule's knobs. Defaults follow the product's references."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    high_latency_ms: PositiveFloat = 1000.0
    high_latency_stat: LatencyStat = "p95"
    high_latency_min_samples: PositiveInt = 20
    high_latency_severity: Severity = Severity.MEDIUM
    spike_factor: float = Field(default=1.5, gt=1.0)
    spike_recent: PositiveInt = 10
    spike_min_baseline: PositiveInt = 30
    spike_min_delta_ms: NonNegativeFloat = 50.0
    spike_severity: Severity = Severity.MEDIUM
    error_rate_high: float = Field(default=0.05, gt=0, le=1)
    error_rate_critical: float = Field(default=0.10, gt=0, le=1)
    error_rate_min_samples: PositiveInt = 20
    consecutive_failures: PositiveInt = 3
    consecutive_failures_severity: Severity = Severity.CRITICAL
    exchange_error_severity: Severity = Severity.HIGH
    bad_payload_severity: Severity = Severity.HIGH
    exchange_down_severity: Severity = Severity.CRITICAL
    rate_limited_severity: Severity = Severity.HIGH
    ban_severity: Severity = Severity.CRITICAL
    rate_budget_ratio: float = Field(default=0.8, gt=0, le=1)
    rate_budget_severity: Severity = Severity.MEDIUM
    clock_drift_ms: PositiveFloat = 500.0
    clock_drift_severity: Severity = Severity.MEDIUM
    clock_ahead_critical_ms: PositiveFloat | None = None  # None: the venue's signing window
    clock_behind_critical_ms: PositiveFloat | None = None
    clock_drift_for: PositiveInt = 2
    stale_after_s: PositiveFloat = 30.0
    stale_frozen_probes: PositiveInt = 10
    stale_frozen_min_s: NonNegativeFloat = 5.0
    stale_severity: Severity = Severity.HIGH
    maintenance_severity: Severity = Severity.LOW

    def merged(self, override: dict[str, Any]) -> Thresholds:
        return (
            self if not override else Thresholds.model_validate({**self.model_dump(), **override})
        )


class ThresholdOverrides(BaseModel):
    """Per exchange / endpoint overrides: any subset of the Thresholds fields, each validated
    as Thresholds validates it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="after")
    def _check(self) -> ThresholdOverrides:
        given = self.model_extra or {}
        for name in given:
            if name not in Thresholds.model_fields:
                raise ValueError(f"unknown rule setting {name!r}")
        try:
            checked = Thresholds().merged(given)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ValueError(f"{first['loc'][0]}: {first['msg']}") from None
        for name in given:
            given[name] = getattr(checked, name)
        return self

    def values(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Matcher(BaseModel):
    """Which alerts a silence covers: every given field must equal the alert's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str | None = None
    venue: str | None = None
    endpoint: str | None = None


class SilenceSettings(Matcher):
    """A silence (until `ends_at`) or a maintenance window (from `starts_at` to `ends_at`)."""

    starts_at: dt.datetime | None = None
    ends_at: dt.datetime
    comment: str = ""


class DetectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_max_samples: PositiveInt = 1000
    window_max_age_s: PositiveFloat = 300.0
    tick_s: PositiveFloat = 1.0
    resolve_after: PositiveInt = 3
    flap_max_toggles: PositiveInt = 4
    flap_window_s: PositiveFloat = 900.0
    flap_quiet_s: PositiveFloat = 300.0
    repeat_interval_s: NonNegativeFloat = 3600.0
    unreliable_lag_ms: PositiveFloat = 50.0
    degraded_lag_ms: PositiveFloat = 250.0
    local_network_ratio: float = Field(default=0.5, gt=0, le=1)
    local_network_min_venues: PositiveInt = 3
    recent_errors: PositiveInt = 3
    silences: list[SilenceSettings] = Field(default_factory=list)
