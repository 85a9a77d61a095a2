"""The JSON the API serves (and the dashboard draws), built from the view's records. The
records are frozen dataclasses: orjson serialises them as they are, fast; the status of
thousands of venues is serialised a slice at a time, letting the probes run in between."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from monitor.clock import pass_turn
from monitor.detect.health import VenueHealth
from monitor.models import AlertEvent
from monitor.notify.payload import alert_json
from monitor.view import ActiveAlert, MonitorView, SelfStats

RECENT_EVENTS = 200  # alert events /api/v1/alerts lists, newest first
SLICE = 50  # venues serialised between two turns of the event loop (about 0.3 ms)


async def status_body(venues: Sequence[VenueHealth]) -> bytes:
    """`{"venues": [...]}` as JSON bytes. One call of orjson holds the loop for as long as it
    runs (5-8 ms for 1,000 venues): slice by slice, no single step costs the probes that."""
    parts = []
    for start in range(0, len(venues), SLICE):
        parts.append(orjson.dumps(venues[start : start + SLICE])[1:-1])  # without [ and ]
        await pass_turn()
    return b'{"venues":[' + b",".join(parts) + b"]}"


def self_json(me: SelfStats, now_s: float) -> dict[str, Any]:
    """The monitor's own figures: what the benchmark reads."""
    return {
        "at_s": now_s,
        "probes": me.probes,
        "missed_ticks": me.missed_ticks,
        "held_ticks": me.held_ticks,
        "dropped": me.dropped,
        "loop_lag_s": me.loop_lag_s,
        "detector_us_per_result": me.detector_us_per_result,
        "sched_lag": me.sched_lag,
        "latency": me.latency,
        "surface_faults": me.surface_faults,  # surface -> faults, each followed by a restart
        "notifications": me.deliveries,  # per channel: sent, failed, pending, oldest age
    }


def alerts_json(active: Sequence[ActiveAlert], recent: Sequence[AlertEvent]) -> dict[str, Any]:
    return {"active": active, "recent": [alert_json(e) for e in recent]}


async def dashboard_snapshot(view: MonitorView) -> tuple[dict[str, Any], dict[str, Any]]:
    """What /api/v1/status and /api/v1/alerts would answer, as plain JSON values."""
    status = await status_body(await view.status())
    alerts = alerts_json(await view.alerts(), await view.incidents(RECENT_EVENTS))
    return orjson.loads(status), orjson.loads(orjson.dumps(alerts))
