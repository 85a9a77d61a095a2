"""The deterministic classifier: the same fields as the LLM's, used at once for every alert
and whenever the LLM is off, failing or over budget. It also sets a severity floor from
measured evidence, which the LLM may raise but never lower."""

from __future__ import annotations

from monitor.exchanges import EXCHANGES
from monitor.models import AlertEvent, Severity, TriageInfo

RULE_TYPES = {
    "HIGH_LATENCY": "network_latency",
    "LATENCY_SPIKE": "network_latency",
    "ERROR_RATE": "outage",
    "CONSECUTIVE_FAILURES": "outage",
    "EXCHANGE_ERROR": "outage",
    "BAD_PAYLOAD": "data_anomaly",
    "EXCHANGE_DOWN": "outage",
    "LOCAL_NETWORK": "local_network",
    "RATE_LIMITED": "rate_limit",
    "RATE_LIMIT_BUDGET": "rate_limit",
    "CLOCK_DRIFT": "clock_drift",
    "STALE_DATA": "data_anomaly",
    "MAINTENANCE": "maintenance",
    "AUTH_FAILURE": "auth",
    "KEY_PERMISSIONS": "auth",
    "MONITOR_DEGRADED": "local_network",
}
# Evidence that sets a floor whatever anyone (or any model) says.
TIMESTAMP_ERRORS = tuple(code for p in EXCHANGES.values() for code in p.timestamp_errors)


def severity_floor(event: AlertEvent) -> Severity:
    floor = event.severity
    facts = event.evidence.facts
    if facts.get("status") == 418 or facts.get("ban_until_s") is not None:
        floor = Severity.CRITICAL  # an IP ban stops all trading from this address
    details = " ".join(event.evidence.recent_errors)
    if any(code in details for code in TIMESTAMP_ERRORS):
        floor = max(floor, Severity.HIGH, key=lambda s: s.rank)
    return floor


def classify(event: AlertEvent) -> TriageInfo:
    incident = RULE_TYPES.get(event.rule, "unknown")
    severity = severity_floor(event)
    summary = f"{event.rule.replace('_', ' ').lower()} on {event.venue}"
    if event.endpoint:
        summary += f" {event.endpoint}"
    return TriageInfo("rules", incident, severity, 1.0 if incident != "unknown" else 0.3, summary)
