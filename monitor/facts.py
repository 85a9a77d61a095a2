"""The measured facts an alert carries, as one typed record.

Why a frozen dataclass with typed optional fields, and not a mapping keyed by an enum: each
fact has its own type (a count, milliseconds, a venue's word, a list of venues), and only a
record lets mypy check both the name and the type where a rule writes a fact and where
rendering, triage or a test reads one; a misspelt fact is a type error, not an absent key.
`None` means "not measured". The record stays plain data: orjson writes it as an object
(the outbox stores it), pydantic reads it back (the outbox's codec), and `as_json()` gives
the present facts only, which is what the webhook payload (schema `webhook-v1.json`,
`evidence.facts`) and the history carry.

A fact is shown to people or to the triage model only where a rule's `shows` lists it (see
`monitor.detect.spec.RuleSpec`); `Shown` says how it reads.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.models import ProbeResult


@dataclasses.dataclass(frozen=True, slots=True)
class Facts:
    # from the endpoint's last result (every endpoint alert)
    endpoint_id: str | None = None
    last_outcome: str | None = None
    status: int | None = None
    latency_ms: float | None = None
    clock_offset_ms: float | None = None
    rate_used_ratio: float | None = None
    retry_after_s: float | None = None
    ban_until_s: float | None = None  # wall clock
    venue_status: str | None = None
    # from the rules
    streak: int | None = None
    error_rate: float | None = None
    latency_last_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_max_ms: float | None = None
    recent_min_ms: float | None = None
    baseline_median_ms: float | None = None
    uncertainty_ms: float | None = None
    data_age_s: float | None = None
    frozen_probes: int | None = None
    data_seq: str | None = None
    auth_problem: str | None = None
    permissions: str | None = None
    endpoints: dict[str, str | None] | None = None  # endpoint -> its last failure detail
    longest_streak: int | None = None
    used_ratio: float | None = None
    venues_down: tuple[str, ...] | None = None
    loop_lag_ms: float | None = None
    dropped_results: int | None = None
    maintenance_begin_s: float | None = None  # wall clock: an announced maintenance window
    maintenance_end_s: float | None = None
    symbol_status: str | None = None  # a symbol's status in the venue's word: HALT, suspend...
    block: str | None = None  # who refuses this host: "CloudFront geo-block"
    next_probe_s: float | None = None  # how long the monitor stays away from the venue

    def measured(self) -> dict[str, Any]:
        """The measured facts only, by name, as they are."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }

    def as_json(self) -> dict[str, Any]:
        """The measured facts only, JSON-native (lists for tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.measured().items()}

    def merged(self, newer: Facts) -> Facts:
        """These facts, with every fact `newer` measured replacing ours."""
        return dataclasses.replace(self, **newer.measured())


FACT_NAMES = frozenset(f.name for f in dataclasses.fields(Facts))


def fact_names(*names: str) -> tuple[str, ...]:
    """Names of Facts fields, checked: a misspelt one fails at import, never silently."""
    unknown = set(names) - FACT_NAMES
    if unknown:
        raise ValueError(f"Facts has no field {', '.join(sorted(unknown))}")
    return names


@dataclasses.dataclass(frozen=True, slots=True)
class Shown:
    """How one fact reads in an alert text: `template` formats its value (a time of day
    first made readable when `is_time`; a list joined by commas)."""

    fact: str
    template: str
    is_time: bool = False

    def __post_init__(self) -> None:
        fact_names(self.fact)

    def value(self, facts: Facts) -> Any:
        return getattr(facts, self.fact)


def probe_facts(last: ProbeResult) -> Facts:
    """What every endpoint alert tells of the endpoint's last result."""
    return Facts(
        endpoint_id=last.endpoint_id,
        last_outcome=last.outcome.value,
        status=last.status,
        latency_ms=round(last.latency_s * 1000, 1),
        clock_offset_ms=None
        if last.clock_offset_s is None
        else round(last.clock_offset_s * 1000, 1),
        rate_used_ratio=last.rate_used_ratio,
        retry_after_s=last.retry_after_s,
        ban_until_s=last.ban_until_s,
        venue_status=last.venue_status,
        next_probe_s=last.next_probe_s,
    )


# The probe facts above, given to the triage model with every endpoint alert.
PROBE_FACTS = fact_names(
    "status",
    "latency_ms",
    "last_outcome",
    "clock_offset_ms",
    "rate_used_ratio",
    "retry_after_s",
    "ban_until_s",
    "venue_status",
    "next_probe_s",
)
