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


def self_snapshot(runtime: Runtime, now_s: float) -> dict[str, Any]:
    """The monitor's own figures: what the benchmark reads."""
    stats = runtime.stats
    return {
        "at_s": now_s,
        "probes": stats.probes,
        "missed_ticks": stats.missed_ticks,
        "held_ticks": stats.held_ticks,
        "dropped": runtime.results.dropped,
        "loop_lag_s": runtime.lag.current_s,
        "detector_us_per_result": runtime.detector.cost.us_per_result,
        "sched_lag": {"bounds": list(stats.sched_lag.bounds), "counts": stats.sched_lag.counts},
        "latency": {"bounds": list(stats.latency.bounds), "counts": stats.latency.counts},
    }


def alerts_snapshot(runtime: Runtime) -> dict[str, Any]:
    active = [
        {
            "fingerprint": fingerprint(s.key),
            "severity": s.severity.value,
            "summary": s.summary,
            "phase": s.phase.value,
            "announced": s.announced,
            "flapping": s.flapping,
            "started_at_s": s.started_at_s,
        }
        for s in runtime.detector.book.active()
    ]
    return {"active": active, "recent": [alert_json(e) for e in reversed(runtime.notifier.recent)]}
