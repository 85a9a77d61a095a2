"""The rules: pure functions of tracked state and thresholds, returning a Finding or None.

Endpoint rules read one EndpointTracker, venue rules one VenueTracker, LOCAL_NETWORK all of
them. Inhibition (which firing alert mutes which) is data too: `INHIBITS`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from typing import Any

from monitor.detect.thresholds import Thresholds
from monitor.detect.tracker import EndpointTracker, VenueTracker
from monitor.exchanges import EndpointKind
from monitor.models import Outcome, Severity


class Rule(enum.StrEnum):
    HIGH_LATENCY = "HIGH_LATENCY"
    LATENCY_SPIKE = "LATENCY_SPIKE"
    ERROR_RATE = "ERROR_RATE"
    CONSECUTIVE_FAILURES = "CONSECUTIVE_FAILURES"
    EXCHANGE_ERROR = "EXCHANGE_ERROR"
    BAD_PAYLOAD = "BAD_PAYLOAD"
    CLOCK_DRIFT = "CLOCK_DRIFT"
    STALE_DATA = "STALE_DATA"
    EXCHANGE_DOWN = "EXCHANGE_DOWN"
    MAINTENANCE = "MAINTENANCE"
    RATE_LIMITED = "RATE_LIMITED"
    RATE_LIMIT_BUDGET = "RATE_LIMIT_BUDGET"
    LOCAL_NETWORK = "LOCAL_NETWORK"
    MONITOR_DEGRADED = "MONITOR_DEGRADED"
    AUTH_FAILURE = "AUTH_FAILURE"
    KEY_PERMISSIONS = "KEY_PERMISSIONS"


STREAK_RULES = (Rule.CONSECUTIVE_FAILURES, Rule.EXCHANGE_ERROR, Rule.BAD_PAYLOAD)
LATENCY_RULES = frozenset({Rule.HIGH_LATENCY, Rule.LATENCY_SPIKE})
ENDPOINT_FAILURE_RULES = frozenset(
    {*STREAK_RULES, Rule.ERROR_RATE, Rule.STALE_DATA, *LATENCY_RULES}
)
# A firing alert of the key rule mutes these rules: on every venue (LOCAL_NETWORK), on its
# venue (venue rules) or on its endpoint (endpoint rules).
INHIBITS: dict[Rule, frozenset[Rule]] = {
    Rule.LOCAL_NETWORK: frozenset(set(Rule) - {Rule.LOCAL_NETWORK, Rule.MONITOR_DEGRADED}),
    Rule.MAINTENANCE: ENDPOINT_FAILURE_RULES | {Rule.EXCHANGE_DOWN},
    Rule.EXCHANGE_DOWN: ENDPOINT_FAILURE_RULES,
    Rule.CONSECUTIVE_FAILURES: frozenset({Rule.ERROR_RATE}),
    Rule.EXCHANGE_ERROR: frozenset({Rule.ERROR_RATE}),
    Rule.BAD_PAYLOAD: frozenset({Rule.ERROR_RATE}),
    Rule.RATE_LIMITED: frozenset({Rule.RATE_LIMIT_BUDGET}),
}
RESTRICTED_STATUSES = frozenset({"maintenance", "cancel_only", "post_only", "limit_only"})
_CRITICAL_SHARE_OF_SIGNING_WINDOW = 0.8


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    severity: Severity
    summary: str
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)
    for_count: int = 1  # consecutive evaluations before pending becomes firing


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def streak(ep: EndpointTracker) -> Finding | None:
    t = ep.thresholds
    if ep.streak < t.consecutive_failures or ep.last is None:
        return None
    last = ep.last
    what = f"{ep.streak} consecutive failures, last {last.outcome.value}"
    if last.detail:
        what += f" ({last.detail})"
    facts = {"streak": ep.streak, "status": last.status}
    if ep.streak_kind is Outcome.EXCHANGE_ERROR:
        return Finding(Rule.EXCHANGE_ERROR, t.exchange_error_severity, what, facts)
    if ep.streak_kind is Outcome.BAD_PAYLOAD:
        return Finding(Rule.BAD_PAYLOAD, t.bad_payload_severity, what, facts)
    return Finding(Rule.CONSECUTIVE_FAILURES, t.consecutive_failures_severity, what, facts)


def error_rate(ep: EndpointTracker) -> Finding | None:
    t = ep.thresholds
    window = ep.window
    if window.counted < t.error_rate_min_samples:
        return None
    rate = window.error_rate
    if rate <= t.error_rate_high:
        return None
    severity = Severity.CRITICAL if rate > t.error_rate_critical else Severity.HIGH
    summary = f"error rate {rate:.1%} over {window.counted} probes"
    return Finding(Rule.ERROR_RATE, severity, summary, {"error_rate": round(rate, 4)})


def _latency_stat(ep: EndpointTracker, stat: str) -> float | None:
    if stat == "last":
        recent = ep.window.recent_latencies(1)
        return recent[0] if recent else None
    quantiles = {"p50": 0.50, "p95": 0.95, "p99": 0.99, "max": 1.0}
    return ep.window.latency_quantile(quantiles[stat])


def high_latency(ep: EndpointTracker) -> Finding | None:
    t = ep.thresholds
    if ep.window.latency_count < t.high_latency_min_samples:
        return None
    value = _latency_stat(ep, t.high_latency_stat)
    if value is None or value * 1000 <= t.high_latency_ms:
        return None
    summary = f"{t.high_latency_stat} latency {_ms(value)} above {t.high_latency_ms:g} ms"
    facts = {f"latency_{t.high_latency_stat}_ms": round(value * 1000, 1)}
    return Finding(Rule.HIGH_LATENCY, t.high_latency_severity, summary, facts)


def latency_spike(ep: EndpointTracker) -> Finding | None:
    """The last N latencies all far above a robust baseline: median, and the interquartile
    range as the spread (a MAD-like scale that costs O(1) on the sorted window)."""
    t = ep.thresholds
    window = ep.window
    if window.latency_count < t.spike_min_baseline + t.spike_recent:
        return None
    median = window.latency_quantile(0.5) or 0.0
    spread = (window.latency_quantile(0.75) or 0.0) - (window.latency_quantile(0.25) or 0.0)
    floor = max(
        median * t.spike_factor, median + 3 * spread / 1.349, median + t.spike_min_delta_ms / 1000
    )
    newest = window.recent_latencies(1)
    if not newest or newest[0] <= floor:
        return None  # the common case, decided without walking back through the window
    recent = window.recent_latencies(t.spike_recent)
    if len(recent) < t.spike_recent:
        return None
    lowest = min(recent)
    if lowest <= floor:
        return None
    summary = (
        f"last {t.spike_recent} latencies all above {_ms(floor)} (baseline median {_ms(median)})"
    )
    facts = {
        "recent_min_ms": round(lowest * 1000, 1),
        "baseline_median_ms": round(median * 1000, 1),
    }
    return Finding(Rule.LATENCY_SPIKE, t.spike_severity, summary, facts)


def clock_drift(ep: EndpointTracker, venue: VenueTracker) -> Finding | None:
    """Offset judged with its uncertainty: only drift proven beyond the RTT counts. A signed
    request refused for its timestamp (Binance -1021, OKX 50102, Bybit 10002) is critical."""
    last = ep.last
    if ep.kind is EndpointKind.ACCOUNT and last is not None and last.auth_problem == "timestamp":
        summary = f"venue rejected our request timestamp ({last.detail})"
        return Finding(Rule.CLOCK_DRIFT, Severity.CRITICAL, summary, {"status": last.status})
    if ep.kind is not EndpointKind.TIME or last is None or last.clock_offset_s is None:
        return None
    t = ep.thresholds
    offset_ms = last.clock_offset_s * 1000
    slack_ms = (last.clock_uncertainty_s or 0.0) * 1000
    ahead_ms = -offset_ms - slack_ms  # our clock ahead of the server's, proven
    behind_ms = offset_ms - slack_ms
    facts = {"clock_offset_ms": round(offset_ms, 1), "uncertainty_ms": round(slack_ms, 1)}
    window = venue.signing_window_ms
    ahead_limit = t.clock_ahead_critical_ms or (window[0] if window else None)
    behind_limit = t.clock_behind_critical_ms or (window[1] if window else None)
    share = _CRITICAL_SHARE_OF_SIGNING_WINDOW
    if ahead_limit is not None and ahead_ms >= share * ahead_limit:
        summary = f"our clock {ahead_ms:.0f} ms ahead; venues reject beyond {ahead_limit:g} ms"
        return Finding(Rule.CLOCK_DRIFT, Severity.CRITICAL, summary, facts, t.clock_drift_for)
    if behind_limit is not None and behind_ms >= share * behind_limit:
        summary = f"our clock {behind_ms:.0f} ms behind; venues reject beyond {behind_limit:g} ms"
        return Finding(Rule.CLOCK_DRIFT, Severity.CRITICAL, summary, facts, t.clock_drift_for)
    if max(ahead_ms, behind_ms) > t.clock_drift_ms:
        summary = (
            f"clock offset {offset_ms:+.0f} ms (+-{slack_ms:.0f} ms) beyond {t.clock_drift_ms:g} ms"
        )
        return Finding(Rule.CLOCK_DRIFT, t.clock_drift_severity, summary, facts, t.clock_drift_for)
    return None


def stale_data(ep: EndpointTracker, venue: VenueTracker, now: float) -> Finding | None:
    """Data older than `stale_after_s`, or unchanged over `stale_frozen_probes` probes and
    `stale_frozen_min_s` seconds (timestamps of 1 s resolution repeat at fast intervals)."""
    last = ep.last
    if ep.kind is not EndpointKind.MARKET or last is None or not last.outcome.is_success:
        return None
    t = ep.thresholds
    if last.data_time_s is not None:
        server_now = last.started_wall_s + last.latency_s / 2 + (venue.clock_offset_s or 0.0)
        age = server_now - last.data_time_s
        if age > t.stale_after_s:
            summary = f"market data {age:.0f} s old (limit {t.stale_after_s:g} s) under HTTP 200"
            return Finding(
                Rule.STALE_DATA, t.stale_severity, summary, {"data_age_s": round(age, 1)}
            )
    frozen_s = now - ep.frozen_since_s
    if ep.frozen_count + 1 >= t.stale_frozen_probes and frozen_s >= t.stale_frozen_min_s:
        summary = f"market data unchanged over {ep.frozen_count + 1} probes ({frozen_s:.0f} s)"
        facts = {"frozen_probes": ep.frozen_count + 1, "data_seq": last.data_seq}
        return Finding(Rule.STALE_DATA, t.stale_severity, summary, facts)
    return None


def auth_failure(ep: EndpointTracker) -> Finding | None:
    """A revoked key, a lost IP whitelist or a bad signature: trading stops while every public
    endpoint looks healthy."""
    last = ep.last
    if last is None or last.outcome is not Outcome.AUTH_ERROR or last.auth_problem == "timestamp":
        return None
    summary = f"signed request refused ({last.auth_problem}): {last.detail}"
    facts = {"auth_problem": last.auth_problem, "status": last.status}
    return Finding(Rule.AUTH_FAILURE, Severity.CRITICAL, summary, facts)


def key_permissions(ep: EndpointTracker) -> Finding | None:
    """Monitoring keys must be read-only: one that can trade or withdraw is a standing risk."""
    last = ep.last
    granted = (last.key_permissions or "").split(",") if last is not None else []
    risky = [p for p in granted if p in ("trade", "withdraw")]
    if not risky:
        return None
    summary = f"the monitoring key can {' and '.join(risky)}: give the monitor a read-only key"
    return Finding(Rule.KEY_PERMISSIONS, Severity.HIGH, summary, {"permissions": ",".join(granted)})


def exchange_down(venue: VenueTracker, t: Thresholds) -> Finding | None:
    if not venue.is_exchange or not venue.all_failing:
        return None
    if venue.longest_streak < t.consecutive_failures:
        return None
    parts = [f"{e.endpoint}: {e.last.outcome.value}" for e in venue.endpoints if e.last]
    summary = f"every endpoint failing ({', '.join(parts)})"
    facts = {
        "endpoints": {e.endpoint: (e.last.detail if e.last else None) for e in venue.endpoints},
        "longest_streak": venue.longest_streak,
    }
    return Finding(Rule.EXCHANGE_DOWN, t.exchange_down_severity, summary, facts)


def maintenance(venue: VenueTracker, t: Thresholds) -> Finding | None:
    for ep in venue.endpoints:
        last = ep.last
        if last is None:
            continue
        restricted = last.venue_status in RESTRICTED_STATUSES
        if restricted or last.outcome in (Outcome.MAINTENANCE, Outcome.DEGRADED):
            status = last.venue_status if restricted else last.outcome.value
            summary = f"venue reports {status}" + (f" ({last.detail})" if last.detail else "")
            return Finding(
                Rule.MAINTENANCE, t.maintenance_severity, summary, {"venue_status": status}
            )
    return None


def rate_limited(venue: VenueTracker, t: Thresholds) -> Finding | None:
    for ep in venue.endpoints:
        last = ep.last
        if last is None or last.outcome is not Outcome.RATE_LIMITED:
            continue
        facts = {
            "status": last.status,
            "retry_after_s": last.retry_after_s,
            "ban_until_s": last.ban_until_s,
        }
        if last.ban_until_s is not None or last.status == 418:
            summary = f"IP banned ({last.detail})"
            return Finding(Rule.RATE_LIMITED, t.ban_severity, summary, facts)
        summary = f"rate limited on {ep.endpoint} ({last.detail})"
        return Finding(Rule.RATE_LIMITED, t.rate_limited_severity, summary, facts)
    return None


def rate_budget(venue: VenueTracker, t: Thresholds) -> Finding | None:
    used = [e.last.rate_used_ratio for e in venue.endpoints if e.last and e.last.rate_used_ratio]
    if not used or max(used) < t.rate_budget_ratio:
        return None
    ratio = max(used)
    summary = f"{ratio:.0%} of the venue's request limit used (warn at {t.rate_budget_ratio:.0%})"
    return Finding(Rule.RATE_LIMIT_BUDGET, t.rate_budget_severity, summary, {"used_ratio": ratio})


def local_network(
    venues: Iterable[VenueTracker], t: Thresholds, ratio: float, minimum: int
) -> Finding | None:
    exchanges = [v for v in venues if v.is_exchange]
    if len(exchanges) < minimum:
        return None
    down = [v.name for v in exchanges if v.all_network_failing]
    if len(down) < max(minimum, ratio * len(exchanges)):
        return None
    if max(v.longest_streak for v in exchanges) < t.consecutive_failures:
        return None
    summary = f"{len(down)} of {len(exchanges)} venues unreachable at once: likely our own network"
    return Finding(Rule.LOCAL_NETWORK, Severity.CRITICAL, summary, {"venues_down": down})
