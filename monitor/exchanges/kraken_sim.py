"""Kraken's simulator wire: `{"error", "result"}` bodies as in tests/fixtures/exchanges/kraken,
and API-Sign verification with a strictly increasing nonce, as Kraken does it."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

from monitor.exchanges.base import Endpoint, EndpointKind
from monitor.exchanges.signing import kraken_signature
from monitor.exchanges.sim_wire import (
    Answer,
    Incoming,
    Market,
    NoUsageHeaders,
    PlainLegalBlock,
    SimKeys,
    VenueSim,
    iso,
    same,
)


class KrakenWire(NoUsageHeaders, PlainLegalBlock):
    __slots__ = ()

    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            now = int(m.server_s)
            rfc = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%a, %d %b %y %H:%M:%S +0000")
            result: Any = {"unixtime": now, "rfc1123": rfc}
        elif kind is EndpointKind.STATUS:
            result = {"status": "online", "timestamp": iso(int(m.server_s))}
        else:
            stamp = int(m.data_s)
            result = {
                "XXBTZUSD": {
                    "asks": [[f"{m.price + 0.1:.1f}", "1.500", stamp]],
                    "bids": [[f"{m.price - 0.1:.1f}", "2.000", stamp - 1]],
                }
            }
        return Answer(200, {"error": [], "result": result})

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        result = {"status": restriction, "timestamp": iso(int(m.server_s))}
        return Answer(200, {"error": [], "result": result})

    def announced_status(
        self, begin_s: float, end_s: float, ongoing: bool, m: Market
    ) -> Answer | None:
        return None  # the venue announces no windows ahead: only its current state

    def instrument(self, trading: bool, m: Market) -> Answer:
        pair = {"altname": "XBTUSD", "wsname": "XBT/USD"}
        pair["status"] = "online" if trading else "cancel_only"
        return Answer(200, {"error": [], "result": {"XXBTZUSD": pair}})

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"error": ["EService:Unavailable: maintenance"]})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(status, {"error": ["EService:Busy"]})

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(200, {"error": ["EAPI:Rate limit exceeded"]})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(200, {"error": ["EGeneral:Temporary lockout"]})

    def error_200(self, m: Market) -> Answer:
        return Answer(200, {"error": ["EService:Unavailable"], "result": {}})

    def account(self, endpoint: Endpoint, can_trade: bool, m: Market) -> Answer:
        return Answer(200, {"error": [], "result": {"ZUSD": "1000.0000", "XXBT": "0.5000000000"}})

    def auth_error(self, problem: str, m: Market) -> Answer:
        error = {
            "signature": "EAPI:Invalid signature",
            "nonce": "EAPI:Invalid nonce",
            "timestamp": "EAPI:Invalid nonce",
            "permission": "EGeneral:Permission denied",
            "ip": "EGeneral:Permission denied",
        }.get(problem, "EAPI:Invalid key")
        return Answer(200, {"error": [error]})


class KrakenVerifier:
    """API-Sign over path + SHA256(nonce + postdata); a nonce must exceed the last accepted."""

    __slots__ = ("_keys", "_last_nonce")

    def __init__(self, keys: SimKeys) -> None:
        self._keys, self._last_nonce = keys, 0

    def __call__(self, req: Incoming, now_ms: int) -> str | None:
        if req.headers.get("API-Key") != self._keys.key:
            return "key"
        postdata = req.body.decode()
        nonce = dict(urllib.parse.parse_qsl(postdata)).get("nonce", "0")
        expected = kraken_signature(req.path_qs, nonce, postdata, self._keys.secret)
        if not same(req.headers.get("API-Sign", ""), expected):
            return "signature"
        if int(nonce) <= self._last_nonce:
            return "nonce"
        self._last_nonce = int(nonce)
        return None


KRAKEN_SIM = VenueSim(KrakenWire(), KrakenVerifier)
