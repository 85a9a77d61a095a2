"""What the model may change, decided in one pure function: a model's answer is a guess, so it
may raise the severity by one level, only when confident, and never above what measured
evidence supports; it never lowers it, and it never replaces an incident type the rules are
certain of. Its own answer travels beside the result (`model_opinion`)."""

from __future__ import annotations

from monitor.models import Severity, TriageInfo
from monitor.triage.schema import Classification

_LADDER = list(Severity)
CERTAIN = 1.0  # the rules' confidence when the rule table names the incident type


def guarded_severity(floor: Severity, found: Classification, min_confidence: float) -> Severity:
    """`floor` (the rules' severity from measured evidence) or one level above it when the model
    asks for more with at least `min_confidence`. One level from below HIGH never reaches
    CRITICAL: only a rule's evidence of HIGH can be raised to it."""
    if found.severity.rank <= floor.rank or found.confidence < min_confidence:
        return floor
    return _LADDER[min(floor.rank + 1, len(_LADDER) - 1)]


def merge(
    rules: TriageInfo, found: Classification, model: str, min_confidence: float
) -> TriageInfo:
    """The LLM's triage of an alert the rules classified as `rules`."""
    certain = rules.confidence >= CERTAIN
    return TriageInfo(
        "llm",
        rules.incident_type if certain else found.incident_type,
        guarded_severity(rules.severity, found, min_confidence),
        rules.confidence if certain else found.confidence,
        found.summary,
        model,
        model_opinion={
            "incident_type": found.incident_type,
            "severity": found.severity.value,
            "confidence": found.confidence,
        },
    )
