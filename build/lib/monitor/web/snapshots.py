"""The JSON the API serves (and the dashboard draws), built from a running Runtime."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from monitor.detect.health import health
from monitor.detect.state import fingerprint
from monitor.notify.payload import alert_json

if TYPE_CHECKING:
    from monitor.app import Runtime


def status_snapshot(runtime: Runtime) -> dict[str, Any]:
    return {"venues": [dataclasses.asdict(v) for v in health(runtime.detector)]}


def alerts_snapshot(runtime: Runtime) -> dict[str, Any]:
    active = [
        {"fingerprint": fingerprint(s.key), "severity": s.severity.value, "summary": s.summary,
         "phase": s.phase.value, "announced": s.announced, "flapping": s.flapping,
         "started_at_s": s.started_at_s}
        for s in runtime.detector.book.active()
    ]  # fmt: skip
    return {"active": active, "recent": [alert_json(e) for e in reversed(runtime.notifier.recent)]}
