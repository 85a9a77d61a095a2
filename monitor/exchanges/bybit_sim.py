"""Bybit's simulator wire: v5 bodies as in tests/fixtures/exchanges/bybit, its limit headers
on 10006, and X-BAPI-* verification as Bybit does it."""

from __future__ import annotations

import functools
from typing import Any

from monitor.exchanges.base import Endpoint, EndpointKind
from monitor.exchanges.signing import hmac_hex, query_of
from monitor.exchanges.sim_wire import (
    Answer,
    Incoming,
    Market,
    NoUsageHeaders,
    PlainLegalBlock,
    SimKeys,
    VenueSim,
    Verifier,
    book,
    ms,
    same,
)


def _bybit(m: Market, result: Any, code: int = 0, msg: str = "OK") -> dict[str, Any]:
    return {
        "retCode": code,
        "retMsg": msg,
        "result": result,
        "retExtInfo": {},
        "time": ms(m.server_s),
    }


class BybitWire(NoUsageHeaders, PlainLegalBlock):
    __slots__ = ()

    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            nanos = int(m.server_s * 1e9)
            result: Any = {"timeSecond": str(nanos // 10**9), "timeNano": str(nanos)}
        elif kind is EndpointKind.STATUS:
            result = {"list": []}
        else:
            bids, asks = book(m)
            result = {
                "s": "BTCUSDT",
                "a": asks,
                "b": bids,
                "ts": ms(m.data_s),
                "u": m.seq,
                "seq": m.seq * 7,
                "cts": ms(m.data_s) - 100,
            }
        return Answer(200, _bybit(m, result))

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        return self.announced_status(m.server_s - 60, m.server_s + 3600, True, m)

    def announced_status(self, begin_s: float, end_s: float, ongoing: bool, m: Market) -> Answer:
        item = {
            "id": "4d95b2a0-587f-11f0-bcc9-56f28c94d6ea",
            "title": "System upgrade",
            "state": "ongoing" if ongoing else "scheduled",
            "begin": str(ms(begin_s)),
            "end": str(ms(end_s)),
            "href": "",
            "serviceTypes": [1, 2, 3, 4, 5],
            "product": [1, 2],
            "uidSuffix": [],
            "maintainType": 1,
            "env": 1,
        }
        return Answer(200, _bybit(m, {"list": [item]}, msg=""))

    def instrument(self, trading: bool, m: Market) -> Answer:
        item = {"symbol": "BTCUSDT", "status": "Trading" if trading else "Closed"}
        return Answer(200, _bybit(m, {"category": "spot", "list": [item]}))

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, _bybit(m, {}, 10016, "Service under maintenance"))

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(status, _bybit(m, {}, 10016, "Internal server error."))

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        headers = {
            "X-Bapi-Limit": "600",
            "X-Bapi-Limit-Status": "0",
            "X-Bapi-Limit-Reset-Timestamp": str(ms(m.server_s + retry_after_s)),
        }
        return Answer(200, _bybit(m, {}, 10006, "Too many visits"), headers)

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(403, "access too frequent")

    def error_200(self, m: Market) -> Answer:
        return Answer(200, _bybit(m, {}, 10016, "Internal server error."))

    def account(self, endpoint: Endpoint, can_trade: bool, m: Market) -> Answer:
        permissions = {
            "Spot": ["SpotTrade"] if can_trade else [],
            "Wallet": [],
            "ContractTrade": [],
            "Options": [],
            "Derivatives": [],
        }
        result = {
            "id": "13770661",
            "note": "monitor",
            "readOnly": 0 if can_trade else 1,
            "permissions": permissions,
            "ips": ["*"],
            "type": 1,
        }
        return Answer(200, _bybit(m, result))

    def auth_error(self, problem: str, m: Market) -> Answer:
        code, msg = {
            "key": (10003, "API key is invalid."),
            "signature": (10004, "error sign!"),
            "ip": (10010, "Unmatched IP, please check your API key's bound IP addresses."),
            "permission": (10005, "Permission denied, please check your API key permissions."),
            "timestamp": (
                10002,
                "invalid request, please check your server timestamp or recv_window param",
            ),
        }.get(problem, (10003, "API key is invalid."))
        return Answer(401 if code == 10003 else 200, _bybit(m, {}, code, msg))


def verify_bybit(keys: SimKeys, req: Incoming, now_ms: int) -> str | None:
    h = req.headers
    if h.get("X-BAPI-API-KEY") != keys.key:
        return "key"
    stamp, window = h.get("X-BAPI-TIMESTAMP", "0"), h.get("X-BAPI-RECV-WINDOW", "5000")
    query = query_of(req.path_qs)
    expected = hmac_hex(keys.secret.encode(), f"{stamp}{keys.key}{window}{query}".encode())
    if not same(h.get("X-BAPI-SIGN", ""), expected):
        return "signature"
    ts = int(stamp)
    return None if now_ms - int(window) <= ts < now_ms + 1000 else "timestamp"


def _verifier(keys: SimKeys) -> Verifier:
    return functools.partial(verify_bybit, keys)


BYBIT_SIM = VenueSim(BybitWire(), _verifier)
