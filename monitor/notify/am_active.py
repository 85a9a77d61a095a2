"""What one `alertmanager` channel has told Alertmanager is firing: pure bookkeeping for the
push sink (monitor/notify/alertmanager.py), fed by the notifications the channel delivers.

Alertmanager keys an alert by its label set. A severity change gives the same monitor alert
(fingerprint) a new label set, so the old one must be resolved in the same push; otherwise
Alertmanager holds two alerts. An event older than the newest one seen for its fingerprint
(a retried notification delivered after a newer one) changes nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from monitor.bounds import DAY_S
from monitor.notify.payload import rfc3339

TOMBSTONE_S = DAY_S  # how long a resolution still outranks older, late deliveries


@dataclasses.dataclass(frozen=True, slots=True)
class AmAlert:
    """One alert as Alertmanager's API v2 takes it, less its endsAt (set at each push)."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at_s: float
    generator_url: str = ""

    def payload(self, ends_at_s: float) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": rfc3339(self.starts_at_s),
            "endsAt": rfc3339(ends_at_s),
            "generatorURL": self.generator_url,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Push:
    alert: AmAlert
    firing: bool


class ActiveAlerts:
    """Firing alerts by the monitor's fingerprint, and the time of the newest event seen."""

    def __init__(self) -> None:
        self._firing: dict[str, AmAlert] = {}
        self._seen_at: dict[str, float] = {}

    def apply(self, fingerprint: str, at_s: float, alert: AmAlert, firing: bool) -> list[Push]:
        """Record one event; return what to push for it (nothing for a stale event)."""
        if at_s < self._seen_at.get(fingerprint, at_s):
            return []
        self._seen_at[fingerprint] = at_s
        old = self._firing.pop(fingerprint, None)
        out = [Push(old, False)] if old is not None and old.labels != alert.labels else []
        if firing:
            self._firing[fingerprint] = alert
        out.append(Push(alert, firing))
        return out

    def firing(self) -> list[AmAlert]:
        return list(self._firing.values())

    def prune(self, now_s: float) -> None:
        """Forget resolutions older than TOMBSTONE_S (bounded memory)."""
        old = [
            f
            for f, at in self._seen_at.items()
            if f not in self._firing and at < now_s - TOMBSTONE_S
        ]
        for fingerprint in old:
            del self._seen_at[fingerprint]
