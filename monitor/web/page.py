"""The status page: server-rendered HTML with inline SVG charts drawn here. No build step, no
CDN, no script: it works offline and refreshes itself. Every external text is escaped.

Its size is bounded whatever the history and the configuration: at most MAX_CARDS venue
cards (the most troubled first) with charts for at most MAX_CHARTED endpoints, each chart of
at most CHART_POINTS points; further venues are one table row each."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from monitor.detect.health import VenueHealth
from monitor.models import AlertEvent, AlertKind
from monitor.notify.render import iso
from monitor.store.rollups import Rollup

MAX_CARDS = 24
MAX_CHARTED = 48  # endpoints drawn (two charts each)
CHART_POINTS = 120
INCIDENTS = 50
TROUBLE = {"down": 0, "maintenance": 1, "degraded": 2, "unknown": 3, "up": 4}

STATE_COLOR = {
    "up": "#2ca02c",
    "degraded": "#f2c744",
    "down": "#d62728",
    "maintenance": "#1f77b4",
    "unknown": "#999999",
}
SERIES = (("p50_s", "#1f77b4", "P50"), ("p95_s", "#ff7f0e", "P95"), ("p99_s", "#d62728", "P99"))
WIDTH, HEIGHT, PAD = 320, 90, 4

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5rem;background:#fafafa;color:#222}
.venues{display:flex;flex-wrap:wrap;gap:1rem}.card{background:#fff;border-radius:8px;
padding:1rem;box-shadow:0 1px 3px #0002;min-width:340px}.state{display:inline-block;
padding:.1rem .5rem;border-radius:4px;color:#fff;font-weight:600}table{border-collapse:collapse}
td,th{padding:.2rem .5rem;text-align:left;font-size:.9rem}svg{background:#f4f6f8;
border-radius:4px}.legend span{margin-right:.8rem;font-size:.8rem}"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def chart(rollups: Sequence[Rollup], title: str) -> str:
    """P50/P95/P99 latency lines over the given minutes, as one inline SVG."""
    points = [r for r in rollups if r.p50_s is not None]
    if len(points) < 2:  # the view bounds `rollups` to CHART_POINTS
        return (
            f'<svg width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{esc(title)}">'
            f'<text x="10" y="{HEIGHT // 2}" font-size="12" fill="#888">collecting data'
            "</text></svg>"
        )
    top = max((r.p99_s or r.p95_s or r.p50_s or 0.0) for r in points) or 1.0
    t0, t1 = points[0].minute_s, points[-1].minute_s
    span = (t1 - t0) or 1.0
    lines = []
    for field, colour, _ in SERIES:
        xy = []
        for r in points:
            value = getattr(r, field)
            if value is None:
                continue
            x = PAD + (r.minute_s - t0) / span * (WIDTH - 2 * PAD)
            y = HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD)
            xy.append(f"{x:.1f},{y:.1f}")
        lines.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(xy)}"/>'
        )
    label = (
        f'<text x="{WIDTH - PAD}" y="12" font-size="10" text-anchor="end" fill="#555">'
        f"max {top * 1000:.0f} ms</text>"
    )
    return (
        f'<svg width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{esc(title)}">'
        + "".join(lines)
        + label
        + "</svg>"
    )


def carded(venues: Sequence[VenueHealth]) -> Sequence[VenueHealth]:
    """The venues that get a card: all of them if few, else the most troubled first."""
    if len(venues) <= MAX_CARDS:
        return venues
    return sorted(venues, key=lambda v: TROUBLE.get(v.state, len(TROUBLE)))[:MAX_CARDS]


def charted(venues: Sequence[VenueHealth]) -> tuple[str, ...]:
    """The endpoints whose charts the page draws."""
    ids = [e.endpoint_id for v in carded(venues) for e in v.endpoints]
    return tuple(ids[:MAX_CHARTED])


def _venue_card(venue: VenueHealth, charts: Mapping[str, tuple[str, str]]) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    rows = "".join(
        f"<tr><td>{esc(e.endpoint)}</td><td>{esc(e.last_outcome or '-')}</td>"
        f"<td>{ms(e.last_latency_ms)}</td></tr>"
        for e in venue.endpoints
    )
    graphs = "".join(
        f"<div><small>{esc(e.endpoint)}: last hour</small><br>{charts[e.endpoint_id][0]}"
        f"<br><small>last day</small><br>{charts[e.endpoint_id][1]}</div>"
        for e in venue.endpoints
        if e.endpoint_id in charts
    )
    firing = "".join(f"<li>{esc(f)}</li>" for f in venue.firing) or "<li>none</li>"
    return (
        f'<div class="card"><h2>{esc(venue.venue)} <span class="state" '
        f'style="background:{STATE_COLOR.get(venue.state, "#999")}">{esc(venue.state)}</span></h2>'
        f"<p>availability {venue.availability:.2%} · errors {venue.error_rate:.2%} · "
        f"P50 {ms(venue.latency_p50_ms)} · P95 {ms(venue.latency_p95_ms)} · "
        f"P99 {ms(venue.latency_p99_ms)}</p>"
        f"<table><tr><th>endpoint</th><th>last</th><th>latency</th></tr>{rows}</table>"
        f"<p>alerts:</p><ul>{firing}</ul>{graphs}</div>"
    )


def _incident(event: AlertEvent) -> str:
    triage = event.triage
    note = ""
    if triage is not None and event.kind is not AlertKind.RESOLVED:
        note = (
            f" <em>triage ({esc(triage.source)}): {esc(triage.incident_type)}, "
            f"{esc(triage.summary)}</em>"
        )
    return (
        f"<tr><td>{esc(iso(event.at_s))}</td><td>{esc(event.kind.value)}</td>"
        f"<td>{esc(event.severity.value)}</td><td>{esc(event.fingerprint)}</td>"
        f"<td>{esc(event.summary)}{note}</td></tr>"
    )


def _summary(venues: Sequence[VenueHealth]) -> str:
    states: dict[str, int] = {}
    for v in venues:
        states[v.state] = states.get(v.state, 0) + 1
    endpoints = [e for v in venues for e in v.endpoints]
    ok = sum(1 for e in endpoints if e.last_outcome in ("ok", "degraded"))
    firing = sum(len(v.firing) for v in venues)
    by_state = " · ".join(f"{n} {esc(state)}" for state, n in sorted(states.items()))
    return (
        f'<p class="summary">{len(venues)} venues ({by_state}) · {len(endpoints)} endpoints, '
        f"{ok} answering · {firing} alerts firing</p>"
    )


def _others(venues: Sequence[VenueHealth]) -> str:
    """One row per venue without a card."""
    if not venues:
        return ""
    rows = "".join(
        f"<tr><td>{esc(v.venue)}</td><td>{esc(v.state)}</td><td>{v.availability:.2%}</td>"
        f"<td>{v.error_rate:.2%}</td><td>{esc(', '.join(v.firing) or '-')}</td></tr>"
        for v in sorted(venues, key=lambda v: TROUBLE.get(v.state, len(TROUBLE)))
    )
    return (
        f"<h2>Other venues ({len(venues)})</h2><table><tr><th>venue</th><th>state</th>"
        f"<th>availability</th><th>errors</th><th>alerts</th></tr>{rows}</table>"
    )


def render_page(
    venues: Sequence[VenueHealth],
    hour: Mapping[str, Sequence[Rollup]],
    day: Mapping[str, Sequence[Rollup]],
    recent: Sequence[AlertEvent],
    refresh_s: int = 10,
) -> str:
    """`hour`/`day`: the charted endpoints' rollups; `recent`: alert events, newest first."""
    cards = carded(venues)
    charts = {
        endpoint_id: (
            chart(hour.get(endpoint_id, ()), f"{endpoint_id} last hour"),
            chart(day.get(endpoint_id, ()), f"{endpoint_id} last day"),
        )
        for endpoint_id in charted(venues)
    }
    shown = {v.venue for v in cards}
    others = _others([v for v in venues if v.venue not in shown])
    incidents = "".join(_incident(e) for e in recent[:INCIDENTS])
    legend = "".join(f'<span style="color:{c}">■ {name}</span>' for _, c, name in SERIES)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{refresh_s}">'
        "<title>exchange-monitor</title>"
        f"<style>{STYLE}</style></head><body><h1>exchange-monitor</h1>{_summary(venues)}"
        f'<p class="legend">latency: {legend}</p>'
        f'<div class="venues">{"".join(_venue_card(v, charts) for v in cards)}</div>{others}'
        "<h2>Recent incidents</h2><table><tr><th>time</th><th>event</th><th>severity</th>"
        f"<th>alert</th><th>summary</th></tr>{incidents}</table></body></html>"
    )
