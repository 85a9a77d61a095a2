"""The demo's live table: venues, endpoints and the latest alert events. On a terminal it is
redrawn in place (rich Live); to a pipe or a file, one table follows another. It fits
WIDTH columns (longer lines are cut with "…") and the status-page address has a line of
its own, so that copying it gives the right port."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.live import Live
from rich.text import Text

from monitor.clock import Clock
from monitor.detect.health import VenueHealth
from monitor.models import AlertEvent, AlertKind
from monitor.view import EndpointState, MonitorView, SelfStats

MARKS = {"low": "i", "medium": "!", "high": "!!", "critical": "!!!"}
FEED_LINES = 40
WIDTH = 120
DETAIL_CHARS = 30  # what an endpoint row has left of WIDTH


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
        f"  {(r.detail or '')[:DETAIL_CHARS]}"
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
        f" loop lag {me.loop_lag_s * 1000:.1f} ms",
    ]
    if "web" in me.listening:
        lines.append(f"status page: http://127.0.0.1:{me.listening['web']}/")
    lines.append(
        f"  {'VENUE':<10} {'STATE':<12} {'AVAIL':>7} {'ERR':>6} {'P50':>7} {'P95':>7} {'P99':>7}"
        f" {'OFFSET':>7}  FIRING"
    )
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
    return "\n".join(line if len(line) <= WIDTH else line[: WIDTH - 1] + "…" for line in lines)


def terminal() -> Console:
    """The console to draw on: the terminal as it is, or WIDTH columns for a pipe or file."""
    console = Console()
    return console if console.is_terminal else Console(width=WIDTH)


async def live_table(view: MonitorView, clock: Clock, console: Console, every_s: float) -> None:
    """Draw the table every `every_s` seconds, with the latest alert events under it."""
    if not console.is_terminal:
        await _frames(view, clock, every_s, lambda frame: console.print(frame, "\n"))
        return
    with Live(console=console, auto_refresh=False) as live:
        await _frames(view, clock, every_s, lambda frame: live.update(frame, refresh=True))


async def _frames(
    view: MonitorView, clock: Clock, every_s: float, show: Callable[[Text], None]
) -> None:
    due = clock.monotonic()
    while True:
        due += every_s
        await clock.sleep_until(due)
        feed = tuple(reversed(await view.incidents(FEED_LINES)))
        table = render(await view.self_stats(), await view.status(), await view.endpoints(), feed)
        show(Text(table))
