"""Alertmanager both ways:
- `alertmanager_webhook`: the payload Alertmanager itself posts to webhook receivers
  (version "4"), so existing receivers work unchanged;
- `alertmanager`: push to a real Alertmanager's POST /api/v2/alerts, for teams that use its
  routing, silences and HA. A firing alert is pushed with endsAt 24 h ahead (renewed by every
  update and reminder); its resolution sets endsAt to now."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import orjson
from pydantic import Field, SecretStr

from monitor.models import AlertEvent, AlertKind
from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.http import post
from monitor.notify.payload import rfc3339
from monitor.notify.render import measured
from monitor.urls import HttpUrlStr

ZERO_TIME = "0001-01-01T00:00:00Z"
FIRING_HORIZON_S = 24 * 3600.0


class AlertmanagerWebhookSpec(ChannelSpec):
    type: Literal["alertmanager_webhook"] = "alertmanager_webhook"
    url: HttpUrlStr
    external_url: str = ""
    headers: dict[str, SecretStr] = Field(default_factory=dict)


class AlertmanagerSpec(ChannelSpec):
    type: Literal["alertmanager"] = "alertmanager"
    url: HttpUrlStr  # the Alertmanager base URL, e.g. http://alertmanager:9093
    generator_url: str = ""
    headers: dict[str, SecretStr] = Field(default_factory=dict)


def labels(event: AlertEvent) -> dict[str, str]:
    out = {
        "alertname": event.rule,
        "severity": event.severity.value,
        "venue": event.venue,
        "source": "exchange-monitor",
    }
    if event.endpoint:
        out["endpoint"] = event.endpoint
    return out


def annotations_of(event: AlertEvent) -> dict[str, str]:
    return {
        "summary": event.summary,
        "description": measured(event),
        "fingerprint": event.fingerprint,
    }


def am_fingerprint(event: AlertEvent) -> str:
    return hashlib.sha256(event.fingerprint.encode()).hexdigest()[:16]


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def webhook_payload(spec: AlertmanagerWebhookSpec, notification: Notification) -> dict[str, Any]:
    alerts: list[dict[str, Any]] = []
    for event in notification.events:
        resolved = event.kind is AlertKind.RESOLVED
        alerts.append(
            {
                "status": "resolved" if resolved else "firing",
                "labels": labels(event),
                "annotations": annotations_of(event),
                "startsAt": rfc3339(event.started_at_s),
                "endsAt": rfc3339(event.at_s) if resolved else ZERO_TIME,
                "generatorURL": "",
                "fingerprint": am_fingerprint(event),
            }
        )
    return {
        "version": "4",
        "groupKey": f'{{}}:{{channel="{notification.channel}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if notification.firing else "resolved",
        "receiver": spec.name,
        "groupLabels": {},
        "commonLabels": _common([labels(e) for e in notification.events]),
        "commonAnnotations": _common([annotations_of(e) for e in notification.events]),
        "externalURL": spec.external_url,
        "alerts": alerts,
    }


def push_payload(
    spec: AlertmanagerSpec, notification: Notification, now_s: float
) -> list[dict[str, Any]]:
    out = []
    for event in notification.events:
        ends = now_s if event.kind is AlertKind.RESOLVED else now_s + FIRING_HORIZON_S
        out.append(
            {
                "labels": labels(event),
                "annotations": annotations_of(event),
                "startsAt": rfc3339(event.started_at_s),
                "endsAt": rfc3339(ends),
                "generatorURL": spec.generator_url,
            }
        )
    return out


def _headers(values: dict[str, SecretStr]) -> dict[str, str]:
    return {name: value.get_secret_value() for name, value in values.items()}


class AlertmanagerWebhookSink(SinkBase[AlertmanagerWebhookSpec]):
    async def send(self, notification: Notification) -> None:
        body = orjson.dumps(webhook_payload(self._spec, notification))
        await post(
            self._ctx.session,
            self._spec.url,
            self._ctx.clock.wall(),
            body=body,
            headers=_headers(self._spec.headers),
        )


class AlertmanagerSink(SinkBase[AlertmanagerSpec]):
    async def send(self, notification: Notification) -> None:
        now = self._ctx.clock.wall()
        body = orjson.dumps(push_payload(self._spec, notification, now))
        await post(
            self._ctx.session,
            f"{self._spec.url}/api/v2/alerts",
            now,
            body=body,
            headers=_headers(self._spec.headers),
        )


WEBHOOK_SINK = SinkMember(AlertmanagerWebhookSpec, AlertmanagerWebhookSink, ChannelKind.MACHINE)

SINK = SinkMember(AlertmanagerSpec, AlertmanagerSink, ChannelKind.MACHINE)
