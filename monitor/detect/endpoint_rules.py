"""The endpoint rules' judgements: pure functions of the endpoint's tracked state."""

from __future__ import annotations

from monitor.detect.spec import ResultInput, Symptom
from monitor.detect.thresholds import Thresholds
from monitor.detect.tracker import EndpointTracker
from monitor.detect.words import WORDS_MAX_CHARS, said
from monitor.exchanges import EndpointKind
from monitor.exchanges.base import truncate
from monitor.facts import Facts
from monitor.models import Outcome, Severity

_OWN_STREAK_RULES = frozenset({Outcome.EXCHANGE_ERROR, Outcome.BAD_PAYLOAD})


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _streak(ep: EndpointTracker) -> Symptom | None:
    if ep.streak < ep.thresholds.consecutive_failures or ep.last is None:
        return None
    last = ep.last
    what = f"{ep.streak} consecutive failures, last {last.outcome.value}: {said(last)}"
    return Symptom(what, Facts(streak=ep.streak, status=last.status))


def consecutive_failures(seen: ResultInput) -> Symptom | None:
    """A streak of failures of mixed or network kinds (the others have their own rules)."""
    ep = seen.endpoint
    return None if ep.streak_kind in _OWN_STREAK_RULES else _streak(ep)


def exchange_errors(seen: ResultInput) -> Symptom | None:
    ep = seen.endpoint
    return _streak(ep) if ep.streak_kind is Outcome.EXCHANGE_ERROR else None


def bad_payloads(seen: ResultInput) -> Symptom | None:
    ep = seen.endpoint
    return _streak(ep) if ep.streak_kind is Outcome.BAD_PAYLOAD else None


def error_rate(seen: ResultInput) -> Symptom | None:
    ep = seen.endpoint
    t = ep.thresholds
    window = ep.window
    if window.counted < t.error_rate_min_samples:
        return None
    rate = window.error_rate
    if rate <= t.error_rate_high:
        return None
    severity = Severity.CRITICAL if rate > t.error_rate_critical else None
    summary = f"error rate {rate:.1%} over {window.counted} probes"
    if ep.recent_errors:  # the venue's words for the latest failure
        summary += f", last: {truncate(ep.recent_errors[0], WORDS_MAX_CHARS)}"
    return Symptom(summary, Facts(error_rate=round(rate, 4)), severity)


def _latency_stat(ep: EndpointTracker, stat: str) -> float | None:
    if stat == "last":
        recent = ep.window.recent_latencies(1)
        return recent[0] if recent else None
    quantiles = {"p50": 0.50, "p95": 0.95, "p99": 0.99, "max": 1.0}
    return ep.window.latency_quantile(quantiles[stat])


def _latency_facts(stat: str, ms: float) -> Facts:
    if stat == "last":
        return Facts(latency_last_ms=ms)
    if stat == "p50":
        return Facts(latency_p50_ms=ms)
    if stat == "p99":
        return Facts(latency_p99_ms=ms)
    return Facts(latency_max_ms=ms) if stat == "max" else Facts(latency_p95_ms=ms)


def high_latency(seen: ResultInput) -> Symptom | None:
    ep = seen.endpoint
    t = ep.thresholds
    if ep.window.latency_count < t.high_latency_min_samples:
        return None
    value = _latency_stat(ep, t.high_latency_stat)
    if value is None or value * 1000 <= t.high_latency_ms:
        return None
    summary = f"{t.high_latency_stat} latency {_ms(value)} above {t.high_latency_ms:g} ms"
    return Symptom(summary, _latency_facts(t.high_latency_stat, round(value * 1000, 1)))


def latency_spike(seen: ResultInput) -> Symptom | None:
    """The last N latencies all far above a robust baseline: median, and the interquartile
    range as the spread (a MAD-like scale that costs O(1) on the sorted window)."""
    t = seen.endpoint.thresholds
    window = seen.endpoint.window
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
    facts = Facts(recent_min_ms=round(lowest * 1000, 1), baseline_median_ms=round(median * 1000, 1))
    return Symptom(summary, facts)


def _drift_severity(proven_ms: float, limit_ms: float | None, t: Thresholds) -> Severity | None:
    """Critical when the offset leaves less than `clock_drift_critical_margin` of the venue's
    receive window, high above `clock_drift_high_ms`; None: the rule's own severity."""
    if limit_ms is not None and limit_ms - proven_ms < t.clock_drift_critical_margin * limit_ms:
        return Severity.CRITICAL
    return Severity.HIGH if proven_ms > t.clock_drift_high_ms else None


def clock_drift(seen: ResultInput) -> Symptom | None:
    """Offset judged with its uncertainty: only drift proven beyond the RTT counts, and its
    severity is the signing margin it leaves. A signed request refused for its timestamp
    (Binance -1021, OKX 50102, Bybit 10002) is critical."""
    ep = seen.endpoint
    last = ep.last
    if ep.kind is EndpointKind.ACCOUNT and last is not None and last.auth_problem == "timestamp":
        summary = f"venue rejected our request timestamp ({said(last)})"
        return Symptom(summary, Facts(status=last.status), Severity.CRITICAL)
    if ep.kind is not EndpointKind.TIME or last is None or last.clock_offset_s is None:
        return None
    t = ep.thresholds
    offset_ms = last.clock_offset_s * 1000
    slack_ms = (last.clock_uncertainty_s or 0.0) * 1000
    ahead = -offset_ms > offset_ms  # our clock ahead of the server's
    proven_ms = abs(offset_ms) - slack_ms
    if proven_ms <= t.clock_drift_ms:
        return None
    window = seen.venue.signing_window_ms
    override = t.clock_ahead_critical_ms if ahead else t.clock_behind_critical_ms
    limit_ms = override or (window[0 if ahead else 1] if window else None)
    facts = Facts(clock_offset_ms=round(offset_ms, 1), uncertainty_ms=round(slack_ms, 1))
    summary = f"our clock {proven_ms:.0f} ms {'ahead' if ahead else 'behind'} (+-{slack_ms:.0f} ms)"
    if limit_ms is not None:
        left_ms = max(limit_ms - proven_ms, 0.0)
        summary += f"; {left_ms:.0f} ms left of the venue's {limit_ms:g} ms receive window"
    return Symptom(summary, facts, _drift_severity(proven_ms, limit_ms, t), t.clock_drift_for)


def stale_data(seen: ResultInput) -> Symptom | None:
    """Data older than `stale_after_s`, or unchanged over `stale_frozen_probes` probes and
    `stale_frozen_min_s` seconds (timestamps of 1 s resolution repeat at fast intervals)."""
    ep = seen.endpoint
    last = ep.last
    if ep.kind is not EndpointKind.MARKET or last is None or not last.outcome.is_success:
        return None
    t = ep.thresholds
    if last.data_time_s is not None:
        server_now = last.started_wall_s + last.latency_s / 2 + (seen.venue.clock_offset_s or 0.0)
        age = server_now - last.data_time_s
        if age > t.stale_after_s:
            summary = f"market data {age:.0f} s old (limit {t.stale_after_s:g} s) under HTTP 200"
            return Symptom(summary, Facts(data_age_s=round(age, 1)))
    frozen_s = seen.now_s - ep.frozen_since_s
    if ep.frozen_count + 1 >= t.stale_frozen_probes and frozen_s >= t.stale_frozen_min_s:
        summary = f"market data unchanged over {ep.frozen_count + 1} probes ({frozen_s:.0f} s)"
        return Symptom(summary, Facts(frozen_probes=ep.frozen_count + 1, data_seq=last.data_seq))
    return None


def auth_failure(seen: ResultInput) -> Symptom | None:
    """A revoked key, a lost IP whitelist or a bad signature: trading stops while every public
    endpoint looks healthy."""
    last = seen.endpoint.last
    if last is None or last.outcome is not Outcome.AUTH_ERROR or last.auth_problem == "timestamp":
        return None
    summary = f"signed request refused ({last.auth_problem}): {said(last)}"
    return Symptom(summary, Facts(auth_problem=last.auth_problem, status=last.status))


def key_permissions(seen: ResultInput) -> Symptom | None:
    """Monitoring keys must be read-only: one that can trade or withdraw is a standing risk."""
    last = seen.endpoint.last
    granted = (last.key_permissions or "").split(",") if last is not None else []
    risky = [p for p in granted if p in ("trade", "withdraw")]
    if not risky:
        return None
    summary = f"the monitoring key can {' and '.join(risky)}: give the monitor a read-only key"
    return Symptom(summary, Facts(permissions=",".join(granted)))


def symbol_halted(seen: ResultInput) -> Symptom | None:
    """A monitored symbol that stopped trading (halt, break, suspension, cancel-only) while
    the venue answers: its outage and maintenance alerts mute this one."""
    last = seen.endpoint.last
    if last is None or last.symbol_trading is not False:
        return None
    symbol = seen.endpoint.endpoint.removeprefix("symbol:")
    summary = f"{symbol} is not trading: the venue says {last.symbol_status}"
    return Symptom(summary, Facts(symbol_status=last.symbol_status))
