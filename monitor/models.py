"""Records that travel the pipeline. Plain, frozen and serialisable: `monitor.bus.codec`
encodes any of them, driven by their type hints. Each carries the `Origin` that made it."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from monitor.facts import Facts


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """Which monitor instance made a record (MONITOR_INSTANCE, MONITOR_REGION): with several
    instances on one bus, results and alerts stay told apart."""

    instance: str
    region: str


UNKNOWN_ORIGIN = Origin("unknown", "unknown")  # a record built outside a running stage


class Outcome(enum.StrEnum):
    """What one probe found. Only `OK` and `DEGRADED` count as a served request."""

    OK = "ok"
    DEGRADED = "degraded"  # venue up but restricted (Kraken cancel_only / post_only)
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    CONNECT_ERROR = "connect_error"
    RATE_LIMITED = "rate_limited"
    EXCHANGE_ERROR = "exchange_error"
    MAINTENANCE = "maintenance"
    BAD_PAYLOAD = "bad_payload"
    AUTH_ERROR = "auth_error"  # a signed request refused: key, signature, permission, time
    ACCESS_DENIED = "access_denied"  # this host refused: geo-block, WAF, HTTP 451, IP not allowed

    @property
    def is_success(self) -> bool:
        return self in (Outcome.OK, Outcome.DEGRADED)


@dataclasses.dataclass(frozen=True, slots=True)
class Phases:
    """Request phases in seconds; None when the phase did not happen (a reused connection).

    `connect_s` covers TCP connect and, for https, the TLS handshake: aiohttp performs both
    inside one `create_connection` call and exposes no separate TLS signal.
    `server_s` is headers-sent to response-headers: the server's share of the request.
    """

    dns_s: float | None = None
    connect_s: float | None = None
    server_s: float | None = None
    ttfb_s: float | None = None
    total_s: float | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe of one endpoint. Target failures are values here, never exceptions."""

    endpoint_id: str  # "<venue>.<endpoint>", unique per process
    venue: str
    endpoint: str
    outcome: Outcome
    scheduled_s: float  # monotonic instant the probe was due
    started_wall_s: float  # wall-clock instant the probe started
    latency_s: float  # whole request including body read, or time until failure
    sched_lag_s: float  # how late the probe started against its schedule
    loop_lag_s: float  # event-loop lag measured by the self-health ticker at that time
    status: int | None = None
    detail: str | None = None  # short, truncated: venue error code/message or failure kind
    phases: Phases | None = None
    body_bytes: int = 0
    fresh_connection: bool = False
    server_time_s: float | None = None
    clock_offset_s: float | None = None  # server time minus our wall clock at the midpoint
    clock_uncertainty_s: float | None = None  # RTT/2 plus the server clock's resolution/2
    data_time_s: float | None = None  # market data timestamp, where the venue gives one
    data_seq: str | None = None  # sequence / update id, where the venue gives one
    rate_used_ratio: float | None = None  # share of the venue's request budget used
    retry_after_s: float | None = None
    ban_until_s: float | None = None  # wall-clock end of an IP ban (Binance 418)
    venue_status: str | None = None  # status endpoint's word: normal, maintenance, cancel_only...
    auth_problem: str | None = None  # key | signature | permission | ip | timestamp | nonce
    key_permissions: str | None = None  # what a signed probe's key may do: "read,trade,withdraw"
    block: str | None = None  # who refuses this host (ACCESS_DENIED): "CloudFront geo-block"
    backoff_s: float | None = None  # the venue's first back-off for this answer (no Retry-After)
    next_probe_s: float | None = None  # how long the monitor stays away after this result
    maintenance_begin_s: float | None = None  # a maintenance window the venue announces (wall)
    maintenance_end_s: float | None = None
    symbol_status: str | None = None  # a symbol endpoint: the symbol's status word (HALT...)
    symbol_trading: bool | None = None  # and whether that word means it trades
    origin: Origin = UNKNOWN_ORIGIN

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (enums as their values)."""
        return dataclasses.asdict(self)


class Severity(enum.StrEnum):
    """Alert severity, ordered: compare with `rank`."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class AlertKind(enum.StrEnum):
    FIRING = "firing"  # a new alert
    UPDATED = "updated"  # severity changed, flapping began, or new evidence worth telling
    REMINDER = "reminder"  # still firing after the repeat interval
    RESOLVED = "resolved"


@dataclasses.dataclass(frozen=True, slots=True)
class Evidence:
    """What was measured when the alert changed. Plain values only (serialisable)."""

    window: dict[str, Any]  # WindowStats as a dict: percentiles, error rate, outcome counts
    recent_outcomes: tuple[str, ...] = ()  # newest first
    recent_errors: tuple[str, ...] = ()  # truncated venue error details, newest first
    facts: Facts = dataclasses.field(default_factory=Facts)  # offsets, bans, usage...


@dataclasses.dataclass(frozen=True, slots=True)
class TriageInfo:
    """An incident's classification: from the rule-based classifier at once, then from the
    LLM as an update of the same alert. `analysis` (HIGH and CRITICAL only) separates what was
    measured from what is guessed."""

    source: str  # "rules" | "llm"
    incident_type: str
    severity: Severity
    confidence: float
    summary: str
    model: str | None = None
    analysis: dict[str, Any] | None = None
    # the model's own answer (incident_type, severity, confidence), kept beside the result
    # when guardrails let the rules' type or severity stand
    model_opinion: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AlertEvent:
    """One transition of one alert. Only transitions travel; state stays in the detector."""

    kind: AlertKind
    fingerprint: str  # rule + venue + endpoint: stable across the alert's life
    rule: str
    severity: Severity
    venue: str
    endpoint: str | None
    summary: str
    started_at_s: float  # wall clock, when the alert began firing
    at_s: float  # wall clock, when this transition happened
    evidence: Evidence
    flapping: bool = False
    previous_severity: Severity | None = None
    triage: TriageInfo | None = None
    origin: Origin = UNKNOWN_ORIGIN  # the instance whose detector decided

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class SubscriberDrops:
    """Records a bus subscriber lost to its full queue, since start."""

    subscriber: str
    topic: str
    dropped: int


@dataclasses.dataclass(frozen=True, slots=True)
class SelfHealth:
    """The monitor's own health, published by the loop-lag ticker at every tick. Counters run
    since start, so a lost record loses no count."""

    origin: Origin
    at_s: float  # wall clock
    loop_lag_s: float  # how late this tick woke up
    probes: int
    missed_ticks: int  # probe ticks skipped: the previous probe was still running
    held_ticks: int  # probe ticks skipped: the venue asked us to back off
    drops: tuple[SubscriberDrops, ...] = ()

    def dropped(self, topic: str) -> int:
        return sum(d.dropped for d in self.drops if d.topic == topic)
