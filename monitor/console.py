"""The demo's live table: venues, endpoints and the latest alert events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TextIO

from monitor.clock import Clock
from monitor.detect.health import VenueHealth
from monitor.models import AlertEvent, AlertKind
from monitor.view import EndpointState, MonitorView, SelfStats

MARKS = {"low": "i", "medium": "!", "high": "!!", "critical": "!!!"}
FEED_LINES = 40


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _endpoint_row(ep: EndpointState) -> str:
    r = ep.last
    if r is None:
        return f"  {ep.endpoint_id:<20} (no result yet)"
    ph = r.phases
    offset = "-" if r.clock_offset_s is None else f"{r.clock_offset_s * 1000:+.0f}"
    stats = ep.stats
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


def render(
    me: SelfStats,
    venues: Sequence[VenueHealth],
    endpoints: Sequence[EndpointState],
    feed: Sequence[AlertEvent],
) -> str:
    """`feed`: the latest alert events, oldest first."""
    lines = [
        f"exchange-monitor: {me.endpoints} endpoints, {me.probes} probes,"
        f" missed ticks {me.missed_ticks}, dropped {me.dropped},"
        f" loop lag {me.loop_lag_s * 1000:.1f} ms"
        + (
            f", status page http://127.0.0.1:{me.listening['web']}/"
            if "web" in me.listening
            else ""
        ),
        f"  {'VENUE':<10} {'STATE':<12} {'AVAIL':>7} {'ERR':>6} {'P50':>7} {'P95':>7} {'P99':>7}"
        f" {'OFFSET':>7}  FIRING",
    ]
    for v in venues:
        lines.append(
            f"  {v.venue:<10} {v.state:<12} {v.availability:>7.1%} {v.error_rate:>6.1%}"
            f" {_cell(v.latency_p50_ms):>7} {_cell(v.latency_p95_ms):>7}"
            f" {_cell(v.latency_p99_ms):>7} {_cell(v.clock_offset_ms):>7}  {', '.join(v.firing)}"
        )
    lines.append(
        f"  {'ENDPOINT':<20} {'OUTCOME':<15} {'LAT ms':>8} {'DNS':>6} {'CONN':>6} {'TTFB':>7}"
        f" {'P95 ms':>8} {'OFFSET':>7}  DETAIL"
    )
    lines.extend(_endpoint_row(ep) for ep in endpoints)
    lines.append("  RECENT ALERTS")
    lines.extend(alert_line(event) for event in feed)
    return "\n".join(lines)


async def live_table(view: MonitorView, clock: Clock, stream: TextIO, every_s: float) -> None:
    """Redraw the table every `every_s` seconds, with the latest alert events under it."""
    due = clock.monotonic()
    while True:
        due += every_s
        await clock.sleep_until(due)
        feed = tuple(reversed(await view.incidents(FEED_LINES)))
        table = render(await view.self_stats(), await view.status(), await view.endpoints(), feed)
        stream.write(table + "\n\n")
        stream.flush()
