"""Which channels an alert event goes to. Pure: settings in, channel names out.

Defaults follow the product's references: CRITICAL -> every channel, HIGH -> chat + e-mail,
MEDIUM -> chat, LOW -> log only; machine channels (webhooks, Alertmanager, files) get
everything, since programs filter better than people are paged.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.models import AlertEvent, AlertKind
from monitor.notify.base import DEFAULT_MIN_SEVERITY, ChannelKind, ChannelSpec


def accepts(spec: ChannelSpec, kind: ChannelKind, event: AlertEvent) -> bool:
    if event.kind is AlertKind.RESOLVED and not spec.send_resolved:
        return False
    floor = spec.min_severity or DEFAULT_MIN_SEVERITY[kind]
    if event.severity.rank < floor.rank:
        return False
    if spec.venues is not None and event.venue not in spec.venues:
        return False
    if spec.rules is not None and event.rule not in spec.rules:
        return False
    return event.rule not in spec.exclude_rules


def route(channels: Sequence[tuple[ChannelSpec, ChannelKind]], event: AlertEvent) -> list[str]:
    return [spec.name for spec, kind in channels if accepts(spec, kind, event)]
