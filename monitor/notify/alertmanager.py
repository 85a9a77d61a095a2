"""Alertmanager both ways:
- `alertmanager_webhook`: the payload Alertmanager itself posts to webhook receivers
  (version "4"), so existing receivers work unchanged;
- `alertmanager`: push to a real Alertmanager's POST /api/v2/alerts, for teams that use its
  routing, silences and HA, the way Prometheus pushes: every firing alert again every
  `resend_s` with endsAt four resends ahead, the old label set resolved at once when the
  severity changes, and an always-firing Watchdog for a dead-man's switch."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any, Literal

import orjson
from pydantic import Field, SecretStr, model_validator

from monitor.bounds import Seconds
from monitor.models import AlertEvent, AlertKind, Severity
from monitor.notify.am_active import ActiveAlerts, AmAlert
from monitor.notify.base import (
    ChannelKind,
    ChannelSpec,
    DeliveryError,
    Notification,
    SinkBase,
    SinkContext,
    SinkMember,
)
from monitor.notify.http import post
from monitor.notify.payload import rfc3339
from monitor.notify.render import measured
from monitor.urls import HttpUrlStr

log = logging.getLogger("monitor.notify")

ZERO_TIME = "0001-01-01T00:00:00Z"
ENDS_AFTER_RESENDS = 4  # a firing alert's endsAt, in resends from now (as Prometheus does)
WATCHDOG = "Watchdog"
SOURCE = "exchange-monitor"


class AlertmanagerWebhookSpec(ChannelSpec):
    type: Literal["alertmanager_webhook"] = "alertmanager_webhook"
    url: HttpUrlStr
    external_url: str = ""
    headers: dict[str, SecretStr] = Field(default_factory=dict)


AmSeverity = Literal["critical", "warning", "info"]


class AlertmanagerSpec(ChannelSpec):
    type: Literal["alertmanager"] = "alertmanager"
    url: HttpUrlStr  # the Alertmanager base URL, e.g. http://alertmanager:9093
    generator_url: str = ""  # where an alert links to: the status page's public URL
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    resend_s: Seconds = 60.0  # every firing alert is pushed again this often
    severity_map: dict[Severity, AmSeverity] = Field(default_factory=dict)  # empty: as is
    runbook_url: str = ""  # "{rule}" is replaced by the rule's name; empty: no annotation
    runbooks: dict[str, str] = Field(default_factory=dict)  # per rule, overrides runbook_url
    watchdog: bool = True  # an always-firing Watchdog alert, for a dead-man's switch

    @model_validator(mode="after")
    def _resolutions_are_sent(self) -> AlertmanagerSpec:
        if not self.send_resolved:  # re-pushed until resolved: the resolution must arrive
            raise ValueError("send_resolved must stay true for an alertmanager channel")
        return self


def labels(event: AlertEvent) -> dict[str, str]:
    out = {
        "alertname": event.rule,
        "severity": event.severity.value,
        "venue": event.venue,
        "source": SOURCE,
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


def push_alert(spec: AlertmanagerSpec, event: AlertEvent) -> AmAlert:
    """The alert as this channel pushes it: severity mapped, runbook and generator URL."""
    found = labels(event)
    found["severity"] = spec.severity_map.get(event.severity, found["severity"])
    notes = annotations_of(event)
    runbook = spec.runbooks.get(event.rule, spec.runbook_url.replace("{rule}", event.rule))
    if runbook:
        notes["runbook_url"] = runbook
    return AmAlert(found, notes, event.started_at_s, spec.generator_url)


def watchdog_alert(spec: AlertmanagerSpec, started_at_s: float) -> AmAlert:
    return AmAlert(
        {"alertname": WATCHDOG, "severity": "none", "source": SOURCE},
        {"summary": "exchange-monitor is running: this alert always fires (dead-man's switch)"},
        started_at_s,
        spec.generator_url,
    )


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
    """Pushes each delivered event, and every `resend_s` (its `background` task) every firing
    alert and the Watchdog again, as Prometheus does: endsAt is ENDS_AFTER_RESENDS resends
    ahead, so a restarted Alertmanager has them back within `resend_s` and a stopped monitor's
    alerts expire. One lock orders the pushes: a re-push never overtakes a resolution."""

    def __init__(self, spec: AlertmanagerSpec, ctx: SinkContext) -> None:
        super().__init__(spec, ctx)
        self._active = ActiveAlerts()
        self._lock = asyncio.Lock()
        self._watchdog = watchdog_alert(spec, ctx.clock.wall())

    async def send(self, notification: Notification) -> None:
        async with self._lock:
            pushes = [
                push
                for event in notification.events
                for push in self._active.apply(
                    event.fingerprint,
                    event.at_s,
                    push_alert(self._spec, event),
                    event.kind is not AlertKind.RESOLVED,
                )
            ]
            await self._post([(p.alert, p.firing) for p in pushes])

    async def push_active(self) -> None:
        """Push every firing alert (and the Watchdog) again with a fresh endsAt."""
        async with self._lock:
            self._active.prune(self._ctx.clock.wall())
            alerts = self._active.firing() + ([self._watchdog] if self._spec.watchdog else [])
            await self._post([(alert, True) for alert in alerts])

    async def background(self) -> None:
        """The re-push loop, on the injected clock; a failed round is logged, not fatal."""
        while True:
            try:
                async with asyncio.timeout(self._spec.timeout_s):
                    await self.push_active()
            except TimeoutError:
                log.warning("alertmanager_resend_failed", extra=self._failed("timeout"))
            except DeliveryError as exc:
                log.warning("alertmanager_resend_failed", extra=self._failed(str(exc)))
            await self._ctx.clock.sleep(self._spec.resend_s)

    def _failed(self, error: str) -> dict[str, str]:
        return {"channel": self.name, "error": error}

    async def _post(self, alerts: list[tuple[AmAlert, bool]]) -> None:
        if not alerts:
            return
        now = self._ctx.clock.wall()
        ends_at = now + ENDS_AFTER_RESENDS * self._spec.resend_s
        body = orjson.dumps([a.payload(ends_at if firing else now) for a, firing in alerts])
        await post(
            self._ctx.session,
            f"{self._spec.url}/api/v2/alerts",
            now,
            body=body,
            headers=_headers(self._spec.headers),
        )


WEBHOOK_SINK = SinkMember(AlertmanagerWebhookSpec, AlertmanagerWebhookSink, ChannelKind.MACHINE)

SINK = SinkMember(AlertmanagerSpec, AlertmanagerSink, ChannelKind.MACHINE)
