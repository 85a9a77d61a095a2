"""Rule thresholds as data. Global values live in `MONITOR_RULES__*`; any of them can be
overridden per exchange (`MONITOR_EXCHANGES__<VENUE>__RULES__*`) and per endpoint
(`MONITOR_EXCHANGES__<VENUE>__ENDPOINTS__<NAME>__RULES__*`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from monitor.bounds import (
    Count,
    Fraction,
    Milliseconds,
    NonNegativeMilliseconds,
    NonNegativeSeconds,
    Seconds,
)
from monitor.models import Severity

LatencyStat = Literal["p50", "p95", "p99", "max", "last"]


class Thresholds(BaseModel):
    """Every rule's knobs. Defaults follow the product's references."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    high_latency_ms: Milliseconds = 1000.0
    high_latency_stat: LatencyStat = "p95"
    high_latency_min_samples: Count = 20
    high_latency_severity: Severity = Severity.MEDIUM
    spike_factor: float = Field(default=1.5, gt=1.0, le=100)
    spike_recent: Count = 10
    spike_min_baseline: Count = 30
    spike_min_delta_ms: NonNegativeMilliseconds = 50.0
    spike_severity: Severity = Severity.MEDIUM
    error_rate_high: Fraction = 0.05
    error_rate_critical: Fraction = 0.10
    error_rate_min_samples: Count = 20
    consecutive_failures: Count = 3
    consecutive_failures_severity: Severity = Severity.CRITICAL
    exchange_error_severity: Severity = Severity.HIGH
    bad_payload_severity: Severity = Severity.HIGH
    exchange_down_severity: Severity = Severity.CRITICAL
    rate_limited_severity: Severity = Severity.HIGH
    ban_severity: Severity = Severity.CRITICAL
    rate_budget_ratio: Fraction = 0.8
    rate_budget_severity: Severity = Severity.MEDIUM
    clock_drift_ms: Milliseconds = 500.0
    clock_drift_severity: Severity = Severity.MEDIUM
    clock_drift_high_ms: Milliseconds = 1000.0
    clock_drift_critical_margin: Fraction = 0.5  # critical below this share of the window left
    clock_ahead_critical_ms: Milliseconds | None = None  # None: the venue's receive window
    clock_behind_critical_ms: Milliseconds | None = None
    clock_drift_for: Count = 2
    stale_after_s: Seconds = 30.0
    stale_frozen_probes: Count = 10
    stale_frozen_min_s: NonNegativeSeconds = 5.0
    stale_severity: Severity = Severity.HIGH
    maintenance_severity: Severity = Severity.LOW
    symbol_halted_severity: Severity = Severity.HIGH

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
    """A silence (until `ends_at`) or a maintenance window (from `starts_at` to `ends_at`).
    Muting every alert takes an explicit `all=true`: a silence with no matcher is refused, not
    taken to mean "everything". Times carry their time zone."""

    all: bool = False
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime
    comment: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _scope_and_order(self) -> SilenceSettings:
        matched = any(v is not None for v in (self.rule, self.venue, self.endpoint))
        if not matched and not self.all:
            raise ValueError("give a matcher (rule, venue or endpoint), or all=true to mute all")
        if matched and self.all:
            raise ValueError("all=true takes no matcher")
        if self.starts_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class DetectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_max_samples: Count = 1000
    window_max_age_s: Seconds = 300.0
    tick_s: Annotated[float, Field(ge=0.01, le=60)] = 1.0
    resolve_after: Count = 3
    flap_max_toggles: Count = 4
    flap_window_s: Seconds = 900.0
    flap_quiet_s: Seconds = 300.0
    repeat_interval_s: NonNegativeSeconds = 3600.0
    unreliable_lag_ms: Milliseconds = 50.0
    degraded_lag_ms: Milliseconds = 250.0
    local_network_ratio: Fraction = 0.5
    local_network_min_venues: Count = 3
    recent_errors: Count = 3
    restore_wait_s: Seconds = 120.0  # at most this long to re-confirm an alert after a start
    silences: list[SilenceSettings] = Field(default_factory=list)
