"""Request phases from aiohttp's TraceConfig, timed on the injected monotonic clock.

Each endpoint task owns one `PhaseTimer`, reset before every probe and passed as
`trace_request_ctx`, so tracing allocates nothing of ours per request.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp

from monitor.clock import Clock
from monitor.models import Phases


class PhaseTimer:
    """Monotonic instants of one request's phases; 0.0 = did not happen."""

    __slots__ = ("conn_end", "conn_start", "dns_end", "dns_start", "headers_at", "sent_at")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.dns_start = self.dns_end = 0.0
        self.conn_start = self.conn_end = 0.0
        self.sent_at = self.headers_at = 0.0

    def phases(self, start: float, end: float, *, complete: bool) -> Phases:
        """Durations relative to `start`; `total_s` only for a request that completed."""

        def span(a: float, b: float) -> float | None:
            return b - a if a and b else None

        return Phases(
            dns_s=span(self.dns_start, self.dns_end),
            connect_s=span(self.conn_start, self.conn_end),
            server_s=span(self.sent_at, self.headers_at),
            ttfb_s=self.headers_at - start if self.headers_at else None,
            total_s=end - start if complete else None,
        )


def _recorder(clock: Clock, field: str) -> Any:
    async def record(_session: aiohttp.ClientSession, ctx: SimpleNamespace, _params: Any) -> None:
        timer = ctx.trace_request_ctx
        if isinstance(timer, PhaseTimer):
            setattr(timer, field, clock.monotonic())

    return record


def phase_trace_config(clock: Clock) -> aiohttp.TraceConfig:
    """A TraceConfig that stamps a PhaseTimer at each phase boundary."""
    config = aiohttp.TraceConfig()
    config.on_dns_resolvehost_start.append(_recorder(clock, "dns_start"))
    config.on_dns_resolvehost_end.append(_recorder(clock, "dns_end"))
    config.on_connection_create_start.append(_recorder(clock, "conn_start"))
    config.on_connection_create_end.append(_recorder(clock, "conn_end"))
    config.on_request_headers_sent.append(_recorder(clock, "sent_at"))
    config.on_request_end.append(_recorder(clock, "headers_at"))
    config.freeze()
    return config
