"""The deterministic classifier: the same fields as the LLM's, used at once for every alert
and whenever the LLM is off, failing or over budget. It also sets a severity floor from
measured evidence, which the LLM may raise but never lower."""

from __future__ import annotations

from monitor.detect.ruleset import RULES
from monitor.detect.spec import Incident, RuleBook
from monitor.exchanges import EXCHANGES
from monitor.models import AlertEvent, Severity, TriageInfo


def incident_type(rule: str, book: RuleBook = RULES) -> Incident:
    """The incident type the rule table gives the rule (unknown for a rule it lacks)."""
    spec = book.get(rule)
    return Incident.UNKNOWN if spec is None else spec.incident


# Evidence that sets a floor whatever anyone (or any model) says.
TIMESTAMP_ERRORS = tuple(code for p in EXCHANGES.values() for code in p.timestamp_errors)


def severity_floor(event: AlertEvent) -> Severity:
    floor = event.severity
    facts = event.evidence.facts
    if facts.status == 418 or facts.ban_until_s is not None:
        floor = Severity.CRITICAL  # an IP ban stops all trading from this address
    details = " ".join(event.evidence.recent_errors)
    if any(code in details for code in TIMESTAMP_ERRORS):
        floor = max(floor, Severity.HIGH, key=lambda s: s.rank)
    return floor


def classify(event: AlertEvent, book: RuleBook = RULES) -> TriageInfo:
    incident = incident_type(event.rule, book)
    severity = severity_floor(event)
    summary = f"{event.rule.replace('_', ' ').lower()} on {event.venue}"
    if event.endpoint:
        summary += f" {event.endpoint}"
    confidence = 0.3 if incident is Incident.UNKNOWN else 1.0
    return TriageInfo("rules", incident.value, severity, confidence, summary)
