"""The built-in rules' names, the triggers that tell when a result is worth judging, and
the venue and global rules' judgements: pure functions of what the detector saw
(`ResultInput`, or `TickInput` for the monitor's own health) returning a Symptom or None.
Endpoint rules live in `endpoint_rules`; the table that names them all, with their scopes,
severities and inhibitions, is `monitor.detect.ruleset`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from monitor.detect.spec import ResultInput, Symptom, TickInput
from monitor.detect.tracker import NETWORK_OUTCOMES, VenueTracker
from monitor.detect.window import ERROR_OUTCOMES
from monitor.detect.words import said
from monitor.facts import Facts
from monitor.models import UNKNOWN_ORIGIN, Outcome, ProbeResult, Severity


class Rule(enum.StrEnum):
    """The built-in rules' names (a rule's name is its RuleSpec's `name`)."""

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
    ACCESS_DENIED = "ACCESS_DENIED"
    MAINTENANCE_SCHEDULED = "MAINTENANCE_SCHEDULED"
    SYMBOL_HALTED = "SYMBOL_HALTED"


RESTRICTED_STATUSES = frozenset({"maintenance", "cancel_only", "post_only", "limit_only"})
RESTRICTED_OUTCOMES = frozenset({Outcome.MAINTENANCE, Outcome.DEGRADED})


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """A symptom named for its rule, with its severity settled: what the alert book steps."""

    rule: str
    severity: Severity
    summary: str
    facts: Facts = dataclasses.field(default_factory=Facts)
    for_count: int = 1  # consecutive evaluations before pending becomes firing


# Triggers: does this result show the symptom (worth judging while no alert is active)?


def network_failure(seen: ResultInput) -> bool:
    return seen.result.outcome in NETWORK_OUTCOMES


def failure(seen: ResultInput) -> bool:
    return seen.result.outcome in ERROR_OUTCOMES


def restricted(seen: ResultInput) -> bool:
    result = seen.result
    return result.outcome in RESTRICTED_OUTCOMES or result.venue_status in RESTRICTED_STATUSES


def denied_now(seen: ResultInput) -> bool:
    return seen.result.outcome is Outcome.ACCESS_DENIED


def announced(seen: ResultInput) -> bool:
    return seen.result.maintenance_end_s is not None


def rate_limited_now(seen: ResultInput) -> bool:
    return seen.result.outcome is Outcome.RATE_LIMITED


def heavy_usage(seen: ResultInput) -> bool:
    return (seen.result.rate_used_ratio or 0.0) >= seen.venue_thresholds.rate_budget_ratio


def no_streak(seen: ResultInput) -> bool:
    """A run of failures may be an outage: the streak rules judge it, not the error rate."""
    return seen.endpoint.streak == 0


def monitor_healthy(seen: ResultInput) -> bool:
    """While the monitor is degraded, latencies measure us, not the target."""
    return not seen.degraded


# Venue rules


def exchange_down(seen: ResultInput) -> Symptom | None:
    venue = seen.venue
    if not venue.is_exchange or not venue.all_failing:
        return None
    if venue.longest_streak < seen.venue_thresholds.consecutive_failures:
        return None
    parts = [f"{e.endpoint}: {said(e.last)}" for e in venue.endpoints if e.last]
    summary = f"every endpoint failing ({', '.join(parts)})"
    facts = Facts(
        endpoints={e.endpoint: (e.last.detail if e.last else None) for e in venue.endpoints},
        longest_streak=venue.longest_streak,
    )
    return Symptom(summary, facts)


def maintenance(seen: ResultInput) -> Symptom | None:
    for ep in seen.venue.endpoints:
        last = ep.last
        if last is None:
            continue
        restricted = last.venue_status in RESTRICTED_STATUSES
        if restricted or last.outcome in RESTRICTED_OUTCOMES:
            status = last.venue_status if restricted else last.outcome.value
            summary = f"venue reports {status}" + (f" ({last.detail})" if last.detail else "")
            return Symptom(summary, Facts(venue_status=status))
    return None


def _utc(wall_s: float) -> str:
    return dt.datetime.fromtimestamp(wall_s, dt.UTC).strftime("%Y-%m-%d %H:%M")


def maintenance_scheduled(seen: ResultInput) -> Symptom | None:
    """A maintenance window the venue announces, from the announcement to the window's end
    (judged by the wall clock of the result at hand)."""
    last = seen.venue.announced
    now_s = seen.result.started_wall_s
    if last is None or last.maintenance_end_s is None or now_s >= last.maintenance_end_s:
        return None
    begin_s = last.maintenance_begin_s or now_s
    end_s = last.maintenance_end_s
    when = "under way" if begin_s <= now_s else f"starts in {(begin_s - now_s) / 60:.0f} min"
    summary = (
        f"{last.detail or 'maintenance'} announced for {_utc(begin_s)} to {_utc(end_s)} UTC"
        f" ({when}); outage alerts are silenced inside it"
    )
    facts = Facts(
        venue_status=last.venue_status, maintenance_begin_s=begin_s, maintenance_end_s=end_s
    )
    return Symptom(summary, facts)


def in_announced_window(facts: Facts, now_s: float) -> bool:
    begin_s, end_s = facts.maintenance_begin_s, facts.maintenance_end_s
    return begin_s is not None and end_s is not None and begin_s <= now_s < end_s


def rate_limited(seen: ResultInput) -> Symptom | None:
    for ep in seen.venue.endpoints:
        last = ep.last
        if last is None or last.outcome is not Outcome.RATE_LIMITED:
            continue
        facts = Facts(
            status=last.status,
            retry_after_s=last.retry_after_s,
            ban_until_s=last.ban_until_s,
            next_probe_s=last.next_probe_s,
        )
        if last.ban_until_s is not None or last.status == 418:
            ban = seen.venue_thresholds.ban_severity
            return Symptom(f"IP banned ({said(last)})", facts, ban)
        return Symptom(f"rate limited on {ep.endpoint} ({said(last)})", facts)
    return None


def vantage(result: ProbeResult) -> str:
    """Where the monitor stands: a block concerns this host's address, not the venue."""
    origin = result.origin
    return "this host" if origin == UNKNOWN_ORIGIN else f"this host ({origin.instance})"


def access_denied(seen: ResultInput) -> Symptom | None:
    for ep in seen.venue.endpoints:
        last = ep.last
        if last is None or last.outcome is not Outcome.ACCESS_DENIED:
            continue
        what = "signed requests refused" if last.auth_problem == "ip" else "access denied"
        summary = f"{what} from {vantage(last)}: {last.block} on {ep.endpoint} ({said(last)})"
        facts = Facts(block=last.block, status=last.status, next_probe_s=last.next_probe_s)
        return Symptom(summary, facts)
    return None


def rate_budget(seen: ResultInput) -> Symptom | None:
    venue, t = seen.venue, seen.venue_thresholds
    used = [e.last.rate_used_ratio for e in venue.endpoints if e.last and e.last.rate_used_ratio]
    if not used or max(used) < t.rate_budget_ratio:
        return None
    ratio = max(used)
    summary = f"{ratio:.0%} of the venue's request limit used (warn at {t.rate_budget_ratio:.0%})"
    return Symptom(summary, Facts(used_ratio=ratio))


# Global rules


def _own_network_evidence(seen: ResultInput, down: list[VenueTracker]) -> str | None:
    """Positive evidence that venues unreachable together mean our network: the control
    target failing too, or failures spread over distinct hosts that are connections never
    made (DNS, refused, unreachable) or that leave no venue answering. Timeouts on some
    venues while others answer, or any failures on one host, are those venues' incidents."""
    control = seen.control
    if control is not None and control.network_failing:
        return "the control target is unreachable too"
    minimum = seen.settings.local_network_min_venues
    if len({e.host for v in down for e in v.public}) < minimum:
        return None
    if len(down) == len(seen.exchanges):
        return "no venue answers"
    refused = {e.host for v in down for e in v.public if e.connect_failing}
    return f"connections fail to {len(refused)} hosts" if len(refused) >= minimum else None


def local_network(seen: ResultInput) -> Symptom | None:
    exchanges = seen.exchanges
    minimum = seen.settings.local_network_min_venues
    if len(exchanges) < minimum:
        return None
    down = [v for v in exchanges if v.all_network_failing]
    if len(down) < max(minimum, seen.settings.local_network_ratio * len(exchanges)):
        return None
    if max(v.longest_streak for v in exchanges) < seen.global_thresholds.consecutive_failures:
        return None
    evidence = _own_network_evidence(seen, down)
    if evidence is None:
        return None
    summary = f"{len(down)} of {len(exchanges)} venues unreachable at once and {evidence}"
    return Symptom(
        summary + ": likely our own network", Facts(venues_down=tuple(v.name for v in down))
    )


def monitor_degraded(tick: TickInput) -> Symptom | None:
    lag_ms = tick.lag_s * 1000
    facts = Facts(loop_lag_ms=round(lag_ms, 1), dropped_results=tick.dropped_results)
    if lag_ms > tick.settings.degraded_lag_ms:
        summary = f"monitor event loop lagging {lag_ms:.0f} ms: latency rules suspended"
        return Symptom(summary, facts)
    if tick.dropped_results > 0:
        summary = f"monitor dropped {tick.dropped_results} probe results: detection is behind"
        return Symptom(summary, facts)
    return None
