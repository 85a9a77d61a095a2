"""Binance's simulator wire: bodies as in tests/fixtures/exchanges/binance, the used-weight
header, and HMAC verification with recvWindow as Binance does it."""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any

from monitor.exchanges.base import Endpoint, EndpointKind
from monitor.exchanges.signing import hmac_hex, query_of
from monitor.exchanges.sim_wire import (
    Answer,
    Incoming,
    Market,
    SimKeys,
    VenueSim,
    Verifier,
    book,
    ms,
    same,
)


class BinanceWire:
    __slots__ = ()

    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        bids, asks = book(m)
        body: Any = {
            EndpointKind.PING: {},
            EndpointKind.TIME: {"serverTime": ms(m.server_s)},
            EndpointKind.STATUS: {"status": 0, "msg": "normal"},
            EndpointKind.MARKET: {"lastUpdateId": m.seq, "bids": bids, "asks": asks},
        }[kind]
        return Answer(200, body)

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        return Answer(200, {"status": 1, "msg": "system_maintenance"})

    def announced_status(
        self, begin_s: float, end_s: float, ongoing: bool, m: Market
    ) -> Answer | None:
        return None  # the venue announces no windows ahead: only its current state

    def instrument(self, trading: bool, m: Market) -> Answer:
        symbol = {"symbol": "BTCUSDT", "status": "TRADING" if trading else "HALT"}
        return Answer(200, {"timezone": "UTC", "serverTime": ms(m.server_s), "symbols": [symbol]})

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"code": -1001, "msg": "System is under maintenance."})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(
            status, {"code": -1001, "msg": "Internal error; unable to process your request."}
        )

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        msg = "Too much request weight used; current limit is 6000 request weight per 1 MINUTE."
        return Answer(429, {"code": -1003, "msg": msg}, {"Retry-After": str(retry_after_s)})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        until = ms(m.server_s + retry_after_s)
        msg = (
            f"Way too much request weight used; IP banned until {until}."
            " Please use the websocket for live updates to avoid bans."
        )
        return Answer(418, {"code": -1003, "msg": msg}, {"Retry-After": str(retry_after_s)})

    def error_200(self, m: Market) -> Answer:
        return Answer(
            200, {"code": -1000, "msg": "An unknown error occurred while processing the request."}
        )

    def account(self, endpoint: Endpoint, can_trade: bool, m: Market) -> Answer:
        flags = {
            "ipRestrict": True,
            "createTime": ms(m.server_s) - 86_400_000,
            "enableReading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableSpotAndMarginTrading": can_trade,
        }
        return Answer(200, flags)

    def auth_error(self, problem: str, m: Market) -> Answer:
        if problem == "signature":
            return Answer(400, {"code": -1022, "msg": "Signature for this request is not valid."})
        if problem == "timestamp":
            msg = "Timestamp for this request is outside of the recvWindow."
            return Answer(400, {"code": -1021, "msg": msg})
        return Answer(
            401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
        )

    def restricted_location(self, m: Market) -> Answer:
        msg = (
            "Service unavailable from a restricted location according to 'b. Eligibility' in"
            " https://www.binance.com/en/terms. Please contact customer service if you believe"
            " you received this message in error."
        )
        return Answer(451, {"code": 0, "msg": msg})

    def usage_headers(self, weight_used_1m: int) -> dict[str, str]:
        return {"X-MBX-USED-WEIGHT-1M": str(weight_used_1m)}


def verify_binance(keys: SimKeys, req: Incoming, now_ms: int) -> str | None:
    if req.headers.get("X-MBX-APIKEY") != keys.key:
        return "key"
    payload, _, signature = query_of(req.path_qs).rpartition("&signature=")
    if not same(signature, hmac_hex(keys.secret.encode(), payload.encode())):
        return "signature"
    params = dict(urllib.parse.parse_qsl(payload))
    stamp, window = int(params.get("timestamp", 0)), int(params.get("recvWindow", 5000))
    if stamp > now_ms + 1000 or now_ms - stamp > window:
        return "timestamp"
    return None


def _verifier(keys: SimKeys) -> Verifier:
    return functools.partial(verify_binance, keys)


BINANCE_SIM = VenueSim(BinanceWire(), _verifier)
