"""`python -m monitor dashboard`: a terminal view (rich Live) of a running instance's API, or
of an in-process demo. The rendering is a pure function of the API's JSON."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from monitor.clock import Clock

STATE_STYLE = {
    "up": "bold green",
    "degraded": "bold yellow",
    "down": "bold red",
    "maintenance": "bold blue",
    "unknown": "dim",
}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
BAR_WIDTH = 12
Snapshot = tuple[dict[str, Any], dict[str, Any]]  # /api/v1/status, /api/v1/alerts
WIDTH = 120  # the display fits a 120-column terminal


class TokenRefused(Exception):
    """The monitor's API refused the dashboard (no token, or the wrong one): `str()` is the
    one line shown to the user; it never holds the token."""


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _bar(value: float | None, top: float) -> str:
    if value is None or top <= 0:
        return ""
    filled = round(min(value / top, 1.0) * BAR_WIDTH)
    return "█" * filled + "·" * (BAR_WIDTH - filled)


def _error_style(rate: float) -> str:
    return "green" if rate < 0.01 else "yellow" if rate < 0.05 else "bold red"


def _totals(venue: dict[str, Any]) -> tuple[int, int]:
    total = served = 0
    for endpoint in venue["endpoints"]:
        outcomes = dict(endpoint["stats"]["outcomes"])
        total += sum(outcomes.values())
        served += outcomes.get("ok", 0) + outcomes.get("degraded", 0)
    return total, served


def render(status: dict[str, Any], alerts: dict[str, Any]) -> Group:
    venues = status["venues"]
    top = max((v["latency_p99_ms"] or 0 for v in venues), default=0) or 1.0
    table = Table(title="exchange-monitor", expand=True)
    for column in (
        "venue",
        "state",
        "now ms",
        "mean",
        "P95",
        "P99",
        "max",
        "P99 bar",
        "requests",
        "ok",
        "failed",
        "error rate",
    ):
        table.add_column(column, justify="left" if column in ("venue", "state") else "right")
    for v in venues:
        now = [e["last_latency_ms"] for e in v["endpoints"] if e["last_latency_ms"] is not None]
        peak = [e["stats"]["max_s"] * 1000 for e in v["endpoints"] if e["stats"]["max_s"]]
        total, served = _totals(v)
        online = "online" if v["state"] in ("up", "degraded") else "offline"
        table.add_row(
            v["venue"],
            Text(f"{online} ({v['state']})", STATE_STYLE.get(v["state"], "")),
            _ms(max(now) if now else None),
            _ms(v["latency_mean_ms"]),
            _ms(v["latency_p95_ms"]),
            _ms(v["latency_p99_ms"]),
            _ms(max(peak) if peak else None),
            _bar(v["latency_p99_ms"], top),
            str(total),
            str(served),
            str(total - served),
            Text(f"{v['error_rate']:.1%}", _error_style(v["error_rate"])),
        )
    recent = Table(title="recent alerts", expand=True)
    for column in ("severity", "event", "alert", "summary"):
        recent.add_column(column)
    for event in alerts["recent"][:8]:
        recent.add_row(
            Text(event["severity"], SEVERITY_STYLE.get(event["severity"], "")),
            event["kind"],
            event["fingerprint"],
            event["summary"][:80],
        )
    return Group(table, recent)


def framed(snapshot: Group | Text, address: str) -> Group:
    """The display: the address the data comes from on a line of its own, whole."""
    return Group(Text(f"status page: {address}", no_wrap=True, overflow="ignore"), snapshot)


async def _get(
    session: aiohttp.ClientSession, url: str, token: str | None, path: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.get(f"{url}{path}", headers=headers) as response:
        if response.status in (401, 403):
            hint = "check MONITOR_WEB__TOKEN" if token else "set MONITOR_WEB__TOKEN to its token"
            raise TokenRefused(
                f"dashboard: {url} refused the request (HTTP {response.status}): {hint}"
            )
        body: dict[str, Any] = await response.json()
        return body


async def fetch(session: aiohttp.ClientSession, url: str, token: str | None) -> Snapshot:
    async with asyncio.timeout(5):
        status = await _get(session, url, token, "/api/v1/status")
        return status, await _get(session, url, token, "/api/v1/alerts")


async def live(
    source: Callable[[], Awaitable[Snapshot]],
    address: Callable[[], str],
    clock: Clock,
    console: Console,
    every_s: float = 1.0,
) -> None:
    """Redraw in place every second until cancelled; TokenRefused ends it."""
    with Live(console=console, auto_refresh=False, screen=False) as view:
        while True:
            shown: Group | Text
            try:
                shown = render(*await source())
            except (aiohttp.ClientError, TimeoutError) as exc:
                shown = Text(f"cannot reach the monitor: {type(exc).__name__}", "bold red")
            view.update(framed(shown, address()), refresh=True)
            await clock.sleep(every_s)
