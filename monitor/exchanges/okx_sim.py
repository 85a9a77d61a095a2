"""OKX's simulator wire: v5 envelopes as in tests/fixtures/exchanges/okx, and OK-ACCESS-*
verification as OKX does it."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from monitor.exchanges.base import Endpoint, EndpointKind
from monitor.exchanges.signing import hmac_b64
from monitor.exchanges.sim_wire import (
    Answer,
    Incoming,
    Market,
    NoUsageHeaders,
    PlainLegalBlock,
    SimKeys,
    VenueSim,
    Verifier,
    ms,
    same,
)

WINDOW_MS = 30_000


class OkxWire(NoUsageHeaders, PlainLegalBlock):
    __slots__ = ()

    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            data: list[Any] = [{"ts": str(ms(m.server_s))}]
        elif kind is EndpointKind.STATUS:
            data = []
        else:
            data = [
                {
                    "instType": "SPOT",
                    "instId": "BTC-USDT",
                    "last": f"{m.price:.1f}",
                    "lastSz": "0.01",
                    "askPx": f"{m.price + 0.1:.1f}",
                    "askSz": "1.2",
                    "bidPx": f"{m.price - 0.1:.1f}",
                    "bidSz": "0.7",
                    "open24h": "64000",
                    "high24h": "66000",
                    "low24h": "63000",
                    "volCcy24h": "2222",
                    "vol24h": "2222",
                    "sodUtc0": "64500",
                    "sodUtc8": "64600",
                    "ts": str(ms(m.data_s)),
                }
            ]
        return Answer(200, {"code": "0", "msg": "", "data": data})

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        return self.announced_status(m.server_s - 60, m.server_s + 3600, True, m)

    def announced_status(self, begin_s: float, end_s: float, ongoing: bool, m: Market) -> Answer:
        window = {
            "begin": str(ms(begin_s)),
            "end": str(ms(end_s)),
            "href": "",
            "preOpenBegin": "",
            "scheDesc": "",
            "serviceType": "8",
            "state": "ongoing" if ongoing else "scheduled",
            "maintType": "1",
            "env": "1",
            "system": "unified",
            "title": "Trading account system upgrade",
        }
        return Answer(200, {"code": "0", "msg": "", "data": [window]})

    def instrument(self, trading: bool, m: Market) -> Answer:
        item = {"instType": "SPOT", "instId": "BTC-USDT", "state": "live" if trading else "suspend"}
        return Answer(200, {"code": "0", "msg": "", "data": [item]})

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"code": "50001", "msg": "Service under maintenance", "data": []})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(
            status, {"code": "50001", "msg": "Service temporarily unavailable", "data": []}
        )

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(429, {"msg": "Too Many Requests", "code": "50011"})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return self.rate_limited(retry_after_s, m)

    def error_200(self, m: Market) -> Answer:
        body = {"code": "50013", "msg": "Systems are busy. Please try again later.", "data": []}
        return Answer(200, body)

    def account(self, endpoint: Endpoint, can_trade: bool, m: Market) -> Answer:
        perm = "read_only,trade" if can_trade else "read_only"
        data = [
            {
                "uid": "44705892343619584",
                "acctLv": "2",
                "posMode": "long_short_mode",
                "perm": perm,
                "level": "Lv1",
                "ip": "127.0.0.1",
            }
        ]
        return Answer(200, {"code": "0", "msg": "", "data": data})

    def auth_error(self, problem: str, m: Market) -> Answer:
        code, msg = {
            "key": ("50111", "Invalid OK-ACCESS-KEY."),
            "signature": ("50113", "Invalid Sign."),
            "ip": ("50110", "Your IP is not included in your API key's IP whitelist."),
            "permission": ("50120", "API key doesn't have permission."),
            "timestamp": ("50102", "Timestamp request expired."),
        }.get(problem, ("50111", "Invalid OK-ACCESS-KEY."))
        return Answer(401, {"code": code, "msg": msg, "data": []})


def verify_okx(keys: SimKeys, req: Incoming, now_ms: int) -> str | None:
    h = req.headers
    if h.get("OK-ACCESS-KEY") != keys.key or h.get("OK-ACCESS-PASSPHRASE") != keys.passphrase:
        return "key"
    stamp = h.get("OK-ACCESS-TIMESTAMP", "")
    message = f"{stamp}{req.method}{req.path_qs}".encode() + req.body
    if not same(h.get("OK-ACCESS-SIGN", ""), hmac_b64(keys.secret.encode(), message)):
        return "signature"
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000
    return "timestamp" if abs(now_ms - when) > WINDOW_MS else None


def _verifier(keys: SimKeys) -> Verifier:
    return functools.partial(verify_okx, keys)


OKX_SIM = VenueSim(OkxWire(), _verifier)
