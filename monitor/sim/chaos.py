"""Chaos scenarios as data, and the board of which ones are active where.

A rule applies to a whole venue, or to one endpoint of it; an endpoint's own rule beats its
venue's. Rules arrive from TOML timelines and the control API, so they are pydantic models.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Literal

import pydantic

from monitor.exchanges import EndpointKind
from monitor.exchanges.sim_wire import Answer, Market, VenueWire


class ChaosKind(enum.StrEnum):
    HEALTHY = "healthy"
    LATENCY_SPIKE = "latency_spike"  # + latency_ms on every answer
    LATENCY_DRIFT = "latency_drift"  # + drift_ms_per_s * seconds since the rule began
    OUTAGE = "outage"  # mode refused (venue-wide: the port closes) or reset (RST)
    HTTP_5XX = "http_5xx"  # `status` for a `ratio` of requests
    RATE_LIMIT = "rate_limit"  # the venue's own rate-limit answer, with Retry-After
    BAN = "ban"  # Binance 418 IP ban (Bybit: HTTP 403; others: their 429)
    MAINTENANCE = "maintenance"  # status endpoint says so; the others answer 503
    CANCEL_ONLY = "cancel_only"  # Kraken / Coinbase restricted trading
    CLOCK_DRIFT = "clock_drift"  # server clock off by clock_ms
    STALE_DATA = "stale_data"  # market data frozen while HTTP says 200
    HANG = "hang"  # accepts, never answers
    MALFORMED_JSON = "malformed_json"
    OVERSIZED = "oversized"  # a body of size_bytes, streamed without Content-Length
    ERROR_200 = "error_200"  # HTTP 200 carrying the venue's error body
    AUTH_FAILURE = "auth_failure"  # signed requests refused for `problem`
    KEY_CAN_TRADE = "key_can_trade"  # the account endpoint reports trading permission
    GEO_BLOCK = "geo_block"  # CloudFront's 403 "configured to block access from your country"
    WAF_BLOCK = "waf_block"  # Cloudflare's 403 "Access denied" page, error 1020
    LEGAL_BLOCK = "legal_block"  # HTTP 451 in the venue's words (Binance: restricted location)
    # announced `starts_in_s` ahead (OKX, Bybit), then maintenance for `window_s`
    SCHEDULED_MAINTENANCE = "scheduled_maintenance"
    THROTTLED = "throttled"  # the venue's rate-limit answer without Retry-After
    SYMBOL_HALT = "symbol_halt"  # symbol status endpoints say the symbol does not trade


class ChaosRule(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    venue: str
    endpoint: str | None = None
    kind: ChaosKind
    latency_ms: float = pydantic.Field(default=500.0, ge=0)
    drift_ms_per_s: float = pydantic.Field(default=20.0, ge=0)
    mode: Literal["refused", "reset"] = "refused"
    status: int = pydantic.Field(default=502, ge=500, le=599)
    ratio: float = pydantic.Field(default=1.0, ge=0, le=1)
    retry_after_s: int = pydantic.Field(default=30, ge=0)
    clock_ms: float = 800.0
    size_bytes: int = pydantic.Field(default=2 * 1024 * 1024, ge=1)
    problem: Literal["key", "signature", "ip", "permission", "timestamp", "nonce"] = "key"
    starts_in_s: float = pydantic.Field(default=30.0, ge=0)
    window_s: float = pydantic.Field(default=30.0, gt=0)


@dataclasses.dataclass(frozen=True, slots=True)
class ActiveRule:
    rule: ChaosRule
    since_wall_s: float  # when it began, on the simulator's (undrifted) clock
    since_mono_s: float


Scope = tuple[str, str | None]


class ChaosBoard:
    """Active rules by (venue, endpoint-or-None)."""

    def __init__(self) -> None:
        self._rules: dict[Scope, ActiveRule] = {}

    def apply(self, rule: ChaosRule, wall_s: float, mono_s: float) -> None:
        scope = (rule.venue, rule.endpoint)
        if rule.kind is ChaosKind.HEALTHY:
            self._rules.pop(scope, None)
        else:
            self._rules[scope] = ActiveRule(rule, wall_s, mono_s)

    def clear(self, venue: str | None = None, endpoint: str | None = None) -> None:
        doomed = [
            s
            for s in self._rules
            if (venue is None or s[0] == venue) and (endpoint is None or s[1] == endpoint)
        ]
        for scope in doomed:
            del self._rules[scope]

    def active(self, venue: str, endpoint: str) -> ActiveRule | None:
        return self._rules.get((venue, endpoint)) or self._rules.get((venue, None))

    def venue_rule(self, venue: str) -> ActiveRule | None:
        return self._rules.get((venue, None))

    def snapshot(self) -> list[ChaosRule]:
        return [active.rule for active in self._rules.values()]


def scheduled_answer(wire: VenueWire, kind: EndpointKind, active: ActiveRule, m: Market) -> Answer:
    """A SCHEDULED_MAINTENANCE venue: its status endpoint announces the window (where the
    venue publishes windows); inside the window it is in maintenance; after it, healthy."""
    begin_s = active.since_wall_s + active.rule.starts_in_s
    end_s = begin_s + active.rule.window_s
    inside = begin_s <= m.server_s < end_s
    if kind is EndpointKind.STATUS:
        announced = wire.announced_status(begin_s, end_s, inside, m)
        if announced is not None and m.server_s < end_s:
            return announced
        return wire.restricted_status("maintenance", m) if inside else wire.ok(kind, m)
    return wire.unavailable(m) if inside else wire.ok(kind, m)
