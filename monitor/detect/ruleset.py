"""The rule table: every rule the monitor runs, one `RuleSpec` each.

The detector iterates it; triage's incident types, the alert texts' measured values and the
facts given to the triage model all derive from it. To add a rule, write its judgement (a
pure function of `ResultInput` or `TickInput`) and add its RuleSpec here; nothing else keys
rules by name. `tests/detect/test_rule_table.py` fails on an incomplete member.
"""

from __future__ import annotations

from monitor.detect import endpoint_rules as e
from monitor.detect import rules as r
from monitor.detect.rules import Rule
from monitor.detect.spec import Incident, Mutes, OnResult, OnTick, RuleBook, RuleSpec, Scope, fixed
from monitor.detect.thresholds import Thresholds
from monitor.exchanges import EndpointKind
from monitor.facts import Shown
from monitor.models import Severity

STATUS = Shown("status", "HTTP {}")
STREAK = Shown("streak", "{} failures in a row")
ERROR_RATE = Shown("error_rate", "error rate {:.1%}")
LATENCY = Shown("latency_ms", "latency {:.0f} ms")
LATENCY_STATS = (
    Shown("latency_p50_ms", "p50 {:.0f} ms"),
    Shown("latency_p95_ms", "p95 {:.0f} ms"),
    Shown("latency_p99_ms", "p99 {:.0f} ms"),
    Shown("latency_max_ms", "max {:.0f} ms"),
    Shown("latency_last_ms", "last {:.0f} ms"),
)
RETRY_AFTER = Shown("retry_after_s", "retry after {:.0f} s")
BANNED_UNTIL = Shown("ban_until_s", "banned until {}", is_time=True)
NEXT_PROBE = Shown("next_probe_s", "next probe in {:.0f} s")

# Symptoms a venue-wide outage or maintenance explains on its endpoints.
ENDPOINT_SYMPTOMS = frozenset({Incident.OUTAGE, Incident.NETWORK_LATENCY, Incident.DATA_ANOMALY})
_STREAK_MUTES = Mutes(names=frozenset({Rule.ERROR_RATE}))
_SIGNED = frozenset({EndpointKind.ACCOUNT})


def _streak(t: Thresholds) -> int:
    """A streak rule decides once each endpoint had its streak's worth of results."""
    return t.consecutive_failures


_GLOBAL = (
    RuleSpec(
        Rule.LOCAL_NETWORK,
        Scope.GLOBAL,
        OnResult(r.local_network, trigger=r.network_failure),
        fixed(Severity.CRITICAL),
        Incident.LOCAL_NETWORK,
        (Shown("venues_down", "unreachable: {}"),),
        Mutes(scopes=frozenset({Scope.VENUE, Scope.ENDPOINT})),
        "most venues unreachable at once: our own network, one alert instead of many",
        decides_after=_streak,
    ),
    RuleSpec(
        Rule.MONITOR_DEGRADED,
        Scope.GLOBAL,
        OnTick(r.monitor_degraded),
        fixed(Severity.HIGH),
        Incident.LOCAL_NETWORK,
        (Shown("loop_lag_ms", "loop lag {:.0f} ms"), Shown("dropped_results", "{} dropped")),
        doc="the monitor's own loop lags or drops results; its timings are not the targets'",
    ),
)
_VENUE = (
    RuleSpec(
        Rule.ACCESS_DENIED,
        Scope.VENUE,
        OnResult(r.access_denied, trigger=r.denied_now),
        fixed(Severity.CRITICAL),
        Incident.ACCESS_DENIED,
        (Shown("block", "{}"), STATUS, NEXT_PROBE),
        Mutes(scopes=frozenset({Scope.VENUE, Scope.ENDPOINT}), incidents=ENDPOINT_SYMPTOMS),
        "this host refused (geo-block, WAF page, HTTP 451, IP not allowed): probed once a minute",
    ),
    RuleSpec(
        Rule.MAINTENANCE,
        Scope.VENUE,
        OnResult(r.maintenance, trigger=r.restricted),
        lambda t: t.maintenance_severity,
        Incident.MAINTENANCE,
        (Shown("venue_status", "status {}"),),
        Mutes(scopes=frozenset({Scope.VENUE, Scope.ENDPOINT}), incidents=ENDPOINT_SYMPTOMS),
        "the venue announces maintenance or a restricted mode (cancel_only, post_only...)",
    ),
    RuleSpec(
        Rule.MAINTENANCE_SCHEDULED,
        Scope.VENUE,
        OnResult(r.maintenance_scheduled, trigger=r.announced),
        lambda t: t.maintenance_severity,
        Incident.MAINTENANCE,
        (
            Shown("maintenance_begin_s", "from {}", is_time=True),
            Shown("maintenance_end_s", "until {}", is_time=True),
        ),
        Mutes(
            scopes=frozenset({Scope.VENUE, Scope.ENDPOINT}),
            incidents=ENDPOINT_SYMPTOMS,
            when=r.in_announced_window,
        ),
        "the venue announces a maintenance window (OKX, Bybit): outages inside it are silenced",
    ),
    RuleSpec(
        Rule.EXCHANGE_DOWN,
        Scope.VENUE,
        OnResult(r.exchange_down, trigger=r.failure),
        lambda t: t.exchange_down_severity,
        Incident.OUTAGE,
        (Shown("longest_streak", "{} failures in a row"),),
        Mutes(scopes=frozenset({Scope.ENDPOINT}), incidents=ENDPOINT_SYMPTOMS),
        "every public endpoint of the venue failing",
        decides_after=_streak,
    ),
    RuleSpec(
        Rule.RATE_LIMITED,
        Scope.VENUE,
        OnResult(r.rate_limited, trigger=r.rate_limited_now),
        lambda t: t.rate_limited_severity,
        Incident.RATE_LIMIT,
        (STATUS, NEXT_PROBE, RETRY_AFTER, BANNED_UNTIL),
        Mutes(names=frozenset({Rule.RATE_LIMIT_BUDGET})),
        "the venue refuses our requests for their rate (an IP ban is critical)",
    ),
    RuleSpec(
        Rule.RATE_LIMIT_BUDGET,
        Scope.VENUE,
        OnResult(r.rate_budget, trigger=r.heavy_usage),
        lambda t: t.rate_budget_severity,
        Incident.RATE_LIMIT,
        (Shown("used_ratio", "{:.0%} of rate limit used"),),
        doc="most of the venue's request budget used",
    ),
)
_ENDPOINT = (
    RuleSpec(
        Rule.CONSECUTIVE_FAILURES,
        Scope.ENDPOINT,
        OnResult(e.consecutive_failures),
        lambda t: t.consecutive_failures_severity,
        Incident.OUTAGE,
        (STREAK, STATUS),
        _STREAK_MUTES,
        "the endpoint failed several times in a row",
        decides_after=_streak,
    ),
    RuleSpec(
        Rule.EXCHANGE_ERROR,
        Scope.ENDPOINT,
        OnResult(e.exchange_errors),
        lambda t: t.exchange_error_severity,
        Incident.OUTAGE,
        (STREAK, STATUS),
        _STREAK_MUTES,
        "the venue answered with its own error code several times in a row",
        decides_after=_streak,
    ),
    RuleSpec(
        Rule.BAD_PAYLOAD,
        Scope.ENDPOINT,
        OnResult(e.bad_payloads),
        lambda t: t.bad_payload_severity,
        Incident.DATA_ANOMALY,
        (STREAK, STATUS),
        _STREAK_MUTES,
        "answers that do not parse, several times in a row",
        decides_after=_streak,
    ),
    RuleSpec(
        Rule.ERROR_RATE,
        Scope.ENDPOINT,
        OnResult(e.error_rate, ready=r.no_streak),
        fixed(Severity.HIGH),
        Incident.OUTAGE,
        (ERROR_RATE, STATUS),
        doc="intermittent failures over the window (critical above error_rate_critical)",
        decides_after=lambda t: t.error_rate_min_samples,
    ),
    RuleSpec(
        Rule.HIGH_LATENCY,
        Scope.ENDPOINT,
        OnResult(e.high_latency, ready=r.monitor_healthy),
        lambda t: t.high_latency_severity,
        Incident.NETWORK_LATENCY,
        LATENCY_STATS,
        doc="a latency statistic of the window above its limit",
        decides_after=lambda t: t.high_latency_min_samples,
    ),
    RuleSpec(
        Rule.LATENCY_SPIKE,
        Scope.ENDPOINT,
        OnResult(e.latency_spike, ready=r.monitor_healthy),
        lambda t: t.spike_severity,
        Incident.NETWORK_LATENCY,
        (
            Shown("recent_min_ms", "recent min {:.0f} ms"),
            Shown("baseline_median_ms", "baseline median {:.0f} ms"),
        ),
        doc="the last latencies all far above the endpoint's own baseline",
        decides_after=lambda t: t.spike_min_baseline + t.spike_recent,
    ),
    RuleSpec(
        Rule.AUTH_FAILURE,
        Scope.ENDPOINT,
        OnResult(e.auth_failure, kinds=_SIGNED),
        fixed(Severity.CRITICAL),
        Incident.AUTH,
        (Shown("auth_problem", "refused: {}"), STATUS),
        doc="a signed request refused: revoked key, lost IP whitelist, bad signature",
    ),
    RuleSpec(
        Rule.KEY_PERMISSIONS,
        Scope.ENDPOINT,
        OnResult(e.key_permissions, kinds=_SIGNED),
        fixed(Severity.HIGH),
        Incident.AUTH,
        (Shown("permissions", "key may: {}"),),
        doc="the monitoring key can trade or withdraw",
    ),
    RuleSpec(
        Rule.CLOCK_DRIFT,
        Scope.ENDPOINT,
        OnResult(e.clock_drift, kinds=frozenset({EndpointKind.TIME, EndpointKind.ACCOUNT})),
        lambda t: t.clock_drift_severity,
        Incident.CLOCK_DRIFT,
        (
            Shown("clock_offset_ms", "clock offset {:+.0f} ms"),
            Shown("uncertainty_ms", "+-{:.0f} ms"),
            STATUS,
        ),
        doc="our clock proven off the venue's; severity from the margin left in its receive window",
        decides_after=lambda t: t.clock_drift_for,
    ),
    RuleSpec(
        Rule.SYMBOL_HALTED,
        Scope.ENDPOINT,
        OnResult(e.symbol_halted, kinds=frozenset({EndpointKind.SYMBOL})),
        lambda t: t.symbol_halted_severity,
        Incident.OUTAGE,
        (Shown("symbol_status", "status {}"),),
        doc="a configured symbol stopped trading (halt, break, suspended) while the venue is up",
    ),
    RuleSpec(
        Rule.STALE_DATA,
        Scope.ENDPOINT,
        OnResult(e.stale_data, kinds=frozenset({EndpointKind.MARKET})),
        lambda t: t.stale_severity,
        Incident.DATA_ANOMALY,
        (
            Shown("data_age_s", "data {:.0f} s old"),
            Shown("frozen_probes", "unchanged over {} probes"),
        ),
        doc="market data too old, or frozen, under HTTP 200",
        decides_after=lambda t: t.stale_frozen_probes,
    ),
)

RULES = RuleBook((*_GLOBAL, *_VENUE, *_ENDPOINT))
