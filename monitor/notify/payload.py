"""The generic webhook payload, version 1 (JSON Schema: notify/schema/webhook-v1.json)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitor.models import AlertEvent, TriageInfo
from monitor.notify.base import Notification
from monitor.notify.render import counts, title

VERSION = "1"


def rfc3339(ts: float) -> str:
    return (
        dt.datetime.fromtimestamp(ts, dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def triage_json(triage: TriageInfo | None) -> dict[str, Any] | None:
    if triage is None:
        return None
    return {
        "source": triage.source,
        "incident_type": triage.incident_type,
        "severity": triage.severity.value,
        "confidence": triage.confidence,
        "summary": triage.summary,
        "model": triage.model,
        "analysis": triage.analysis,
        "model_opinion": triage.model_opinion,
    }


def alert_json(event: AlertEvent) -> dict[str, Any]:
    return {
        "kind": event.kind.value,
        "fingerprint": event.fingerprint,
        "rule": event.rule,
        "severity": event.severity.value,
        "venue": event.venue,
        "endpoint": event.endpoint,
        "summary": event.summary,
        "started_at": rfc3339(event.started_at_s),
        "at": rfc3339(event.at_s),
        "flapping": event.flapping,
        "previous_severity": event.previous_severity.value if event.previous_severity else None,
        "triage": triage_json(event.triage),
        "evidence": {
            "window": event.evidence.window,
            "recent_outcomes": list(event.evidence.recent_outcomes),
            "recent_errors": list(event.evidence.recent_errors),
            "facts": event.evidence.facts.as_json(),
        },
    }


def build_payload(notification: Notification, sent_at_s: float) -> dict[str, Any]:
    return {
        "version": VERSION,
        "id": notification.key,
        "channel": notification.channel,
        "sent_at": rfc3339(sent_at_s),
        "title": title(notification),
        "counts": counts(notification),
        "alerts": [alert_json(e) for e in notification.events],
    }
