"""The alert texts: severity mark, counts of critical and warning, venue, endpoint, measured
values, time. Pure functions; each channel escapes the external parts with its escaper."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable, Iterable

from monitor.detect.ruleset import RULES
from monitor.detect.spec import RuleBook
from monitor.facts import Facts, Shown
from monitor.models import AlertEvent, AlertKind, Severity
from monitor.notify.base import Notification

Escaper = Callable[[str], str]

MARK = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
}
RESOLVED_MARK = "✅"
COLOR = {  # Slack/Discord/Feishu colours by severity
    Severity.CRITICAL: "#d62728",
    Severity.HIGH: "#ff7f0e",
    Severity.MEDIUM: "#f2c744",
    Severity.LOW: "#1f77b4",
}
RESOLVED_COLOR = "#2ca02c"
MAX_EVENTS_SHOWN = 20
MAX_FACTS_SHOWN = 4


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def mark(event: AlertEvent) -> str:
    return RESOLVED_MARK if event.kind is AlertKind.RESOLVED else MARK[event.severity]


def color(notification: Notification) -> str:
    firing = notification.firing
    if not firing:
        return RESOLVED_COLOR
    return COLOR[max((e.severity for e in firing), key=lambda s: s.rank)]


def counts(notification: Notification) -> dict[str, int]:
    firing = notification.firing
    return {
        "critical": sum(e.severity is Severity.CRITICAL for e in firing),
        "warning": sum(e.severity in (Severity.HIGH, Severity.MEDIUM) for e in firing),
        "info": sum(e.severity is Severity.LOW for e in firing),
        "resolved": len(notification.resolved),
    }


def where(event: AlertEvent) -> str:
    return event.venue + (f" / {event.endpoint}" if event.endpoint else "")


def title(notification: Notification) -> str:
    """One line: the single alert, the group's counts, or a storm's."""
    events = notification.events
    if notification.storm:
        return f"{MARK[worst(events)]} {storm_heading(notification)}"
    if len(events) == 1:
        e = events[0]
        state = "RESOLVED" if e.kind is AlertKind.RESOLVED else e.severity.value.upper()
        return f"{mark(e)} [{state}] {e.rule} {where(e)}"
    return _counted(notification)


def _counted(notification: Notification) -> str:
    c = counts(notification)
    parts = [f"{n} {name}" for name, n in c.items() if n]
    return f"{len(notification.events)} alerts: {', '.join(parts)}"


def storm_heading(notification: Notification) -> str:
    venues = len({e.venue for e in notification.events})
    return f"STORM {_counted(notification)} across {venues} venue(s)"


def worst(events: Iterable[AlertEvent]) -> Severity:
    return max((e.severity for e in events), key=lambda s: s.rank)


def storm_lines(notification: Notification, esc: Escaper) -> list[str]:
    """A storm's summary: one line per venue and rule with its counts, the worst first."""
    by_group: dict[tuple[str, str], list[AlertEvent]] = collections.defaultdict(list)
    for e in notification.events:
        by_group[(e.venue, e.rule)].append(e)

    def order(item: tuple[tuple[str, str], list[AlertEvent]]) -> tuple[int, int, str, str]:
        (venue, rule), events = item
        return (-worst(events).rank, -len(events), venue, rule)

    lines = []
    for (venue, rule), events in sorted(by_group.items(), key=order):
        resolved = sum(e.kind is AlertKind.RESOLVED for e in events)
        firing = len(events) - resolved
        severity = worst(events)
        counted = f"{firing} firing" + (f", {resolved} resolved" if resolved else "")
        lines.append(f"{MARK[severity]} {severity.value.upper()} {rule} {esc(venue)}: {counted}")
    return lines


def shown_value(shown: Shown, facts: Facts) -> str | None:
    """One fact as it reads in an alert text, or None when it was not measured."""
    value = shown.value(facts)
    if value is None or isinstance(value, bool | dict):
        return None
    if shown.is_time and isinstance(value, int | float):
        return shown.template.format(iso(value))
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return shown.template.format(value)


def measured(event: AlertEvent, book: RuleBook = RULES) -> str:
    """The facts the event's rule shows (its RuleSpec's `shows`), the first four measured."""
    spec = book.get(event.rule)
    if spec is None:
        return ""
    facts = event.evidence.facts
    shown = (shown_value(s, facts) for s in spec.shows)
    return ", ".join([text for text in shown if text is not None][:MAX_FACTS_SHOWN])


def event_line(event: AlertEvent, esc: Escaper) -> str:
    """`<mark> <STATE> RULE venue / endpoint: summary (measured) at time`, external text escaped."""
    state = "resolved" if event.kind is AlertKind.RESOLVED else event.severity.value
    text = f"{mark(event)} {state.upper()} {event.rule} {esc(where(event))}: {esc(event.summary)}"
    values = measured(event)
    if values:
        text += f" ({esc(values)})"
    flags = " [flapping]" if event.flapping else ""
    reminder = " [reminder]" if event.kind is AlertKind.REMINDER else ""
    text = f"{text}{flags}{reminder} at {iso(event.at_s)}"
    triage = event.triage
    if triage is not None and event.kind is not AlertKind.RESOLVED:
        who = f"{triage.source}" + (f" {triage.model}" if triage.model else "")
        text += f" | triage ({esc(who)}): {esc(triage.incident_type)}, {esc(triage.summary)}"
    return text


def body_lines(notification: Notification, esc: Escaper) -> list[str]:
    """The lines of a message: each event, or a storm's summary, at most MAX_EVENTS_SHOWN."""
    if notification.storm:
        lines = storm_lines(notification, esc)
    else:
        lines = [event_line(e, esc) for e in notification.events]
    if len(lines) > MAX_EVENTS_SHOWN:
        lines = [*lines[:MAX_EVENTS_SHOWN], f"… and {len(lines) - MAX_EVENTS_SHOWN} more"]
    return lines


def short_text(notification: Notification, limit: int = 160) -> str:
    """A plain summary for SMS: the most severe firing alert (or a storm's counts) first."""
    if notification.storm:
        text = " ".join([storm_heading(notification), *storm_lines(notification, str)])
        return _cut(text, limit)
    events = sorted(notification.events, key=lambda e: -e.severity.rank)
    first = events[0]
    state = "RESOLVED" if first.kind is AlertKind.RESOLVED else first.severity.value.upper()
    text = f"{state} {first.rule} {where(first)}: {first.summary}"
    if len(events) > 1:
        text = f"+{len(events) - 1} more. " + text
    return _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
