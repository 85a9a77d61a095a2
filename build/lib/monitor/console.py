"""The demo's live table: venues, endpoints and the latest alert events."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
from typing import TextIO

from monitor.app import Runtime
from monitor.clock import Clock
from monitor.detect.health import health
from monitor.detect.tracker import EndpointTracker
from monitor.models import AlertEvent, AlertKind

MARKS = {"low": "i", "medium": "!", "high": "!!", "critical": "!!!"}
FEED_LINES = 40


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _endpoint_row(ep: EndpointTracker) -> str:
    r = ep.last
    if r is None:
        return f"  {ep.endpoint_id:<20} (no result yet)"
    ph = r.phases
    offset = "-" if r.clock_offset_s is None else f"{r.clock_offset_s * 1000:+.0f}"
    stats = ep.window.stats()
    return (
        f"  {ep.endpoint_id:<20} {r.outcome.value:<15} {_ms(r.latency_s):>8}"
        f" {_ms(ph.dns_s if ph else None):>6} {_ms(ph.connect_s if ph else None):>6}"
        f" {_ms(ph.ttfb_s if ph else None):>7} {_ms(stats.p95_s):>8} {offset:>7}"
        f"  {(r.detail or '')[:48]}"
    )


def alert_line(event: AlertEvent) -> str:
    at = dt.datetime.fromtimestamp(event.at_s, dt.UTC).strftime("%H:%M:%S")
    where = event.venue + (f"/{event.endpoint}" if event.endpoint else "")
    mark = "ok " if event.kind is AlertKind.RESOLVED else MARKS[event.severity.value]
    flap = " [flapping]" if event.flapping else ""
    return (
        f"  {at} {mark:<3} {event.kind.value:<8} {event.rule:<20} {where:<18} {event.summary}{flap}"
    )


def render(runtime: Runtime, feed: collections.deque[AlertEvent]) -> str:
    stats = runtime.stats
    lines = [
        f"exchange-monitor: {len(runtime.plan.probes)} endpoints, {stats.probes} probes,"
        f" missed ticks {stats.missed_ticks}, dropped {runtime.results.dropped},"
        f" loop lag {runtime.lag.current_s * 1000:.1f} ms"
        + (
            f", status page http://127.0.0.1:{runtime.listening['web']}/"
            if "web" in runtime.listening
            else ""
        ),
        f"  {'VENUE':<10} {'STATE':<12} {'AVAIL':>7} {'ERR':>6} {'P50':>7} {'P95':>7} {'P99':>7}"
        f" {'OFFSET':>7}  FIRING",
    ]
    for v in health(runtime.detector):
        lines.append(
            f"  {v.venue:<10} {v.state:<12} {v.availability:>7.1%} {v.error_rate:>6.1%}"
            f" {_cell(v.latency_p50_ms):>7} {_cell(v.latency_p95_ms):>7}"
            f" {_cell(v.latency_p99_ms):>7} {_cell(v.clock_offset_ms):>7}  {', '.join(v.firing)}"
        )
    lines.append(
        f"  {'ENDPOINT':<20} {'OUTCOME':<15} {'LAT ms':>8} {'DNS':>6} {'CONN':>6} {'TTFB':>7}"
        f" {'P95 ms':>8} {'OFFSET':>7}  DETAIL"
    )
    lines.extend(_endpoint_row(ep) for ep in runtime.detector.endpoints.values())
    lines.append("  RECENT ALERTS")
    lines.extend(alert_line(event) for event in feed)
    return "\n".join(lines)


async def live_table(runtime: Runtime, clock: Clock, stream: TextIO, every_s: float) -> None:
    """Redraw the table every `every_s` seconds, with the latest alert events under it."""
    feed: collections.deque[AlertEvent] = collections.deque(maxlen=FEED_LINES)
    due = clock.monotonic()
    while True:
        due += every_s
        await clock.sleep_until(due)
        while True:
            try:
                feed.append(runtime.feed.get_nowait())
            except asyncio.QueueEmpty:
                break
        stream.write(render(runtime, feed) + "\n\n")
        stream.flush()
