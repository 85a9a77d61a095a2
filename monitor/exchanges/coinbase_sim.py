"""Coinbase's simulator wire: Exchange bodies as in tests/fixtures/exchanges/coinbase, the
Advanced Trade key_permissions body, and CB-ACCESS-* / JWT verification as Coinbase does it."""

from __future__ import annotations

import base64
import functools
from typing import Any

import jwt

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
    iso,
    same,
)

WINDOW_MS = 30_000


class CoinbaseWire(NoUsageHeaders, PlainLegalBlock):
    """`advanced` is the Advanced Trade key_permissions endpoint, answered in its own shape."""

    __slots__ = ("_advanced",)

    def __init__(self, advanced: Endpoint) -> None:
        self._advanced = advanced

    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            return Answer(200, {"iso": iso(m.server_s), "epoch": round(m.server_s, 3)})
        if kind is EndpointKind.STATUS:
            return Answer(200, _product())
        return Answer(
            200,
            {
                "trade_id": m.seq,
                "price": f"{m.price:.2f}",
                "size": "0.0100",
                "time": iso(m.data_s),
                "bid": f"{m.price - 0.01:.2f}",
                "ask": f"{m.price + 0.01:.2f}",
                "volume": "12345.6789",
            },
        )

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        if restriction == "cancel_only":
            return Answer(200, _product(cancel_only=True))
        return Answer(
            200, _product(status="offline", status_message="maintenance", trading_disabled=True)
        )

    def announced_status(
        self, begin_s: float, end_s: float, ongoing: bool, m: Market
    ) -> Answer | None:
        return None  # the venue announces no windows ahead: only its current state

    def instrument(self, trading: bool, m: Market) -> Answer:
        return Answer(200, _product() if trading else _product(trading_disabled=True))

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"message": "Service under maintenance"})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(status, {"message": "Internal server error"})

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(429, {"message": "Public rate limit exceeded"})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return self.rate_limited(retry_after_s, m)

    def error_200(self, m: Market) -> Answer:
        return Answer(200, {"message": "Internal server error"})

    def account(self, endpoint: Endpoint, can_trade: bool, m: Market) -> Answer:
        if endpoint == self._advanced:
            return _advanced_account(can_trade)
        return Answer(
            200,
            [
                {
                    "id": "7d0f7d8e-dd34-4d9c-a846-06f431c381ba",
                    "currency": "USD",
                    "balance": "1000.00",
                    "hold": "0.00",
                    "available": "1000.00",
                    "profile_id": "8058d771-2d88-4f0f-ab6e-299c153d4308",
                    "trading_enabled": can_trade,
                }
            ],
        )

    def auth_error(self, problem: str, m: Market) -> Answer:
        if problem == "permission":
            return Answer(403, {"message": "Forbidden"})
        message = {"signature": "invalid signature", "timestamp": "request timestamp expired"}
        return Answer(401, {"message": message.get(problem, "Invalid API Key")})


def _advanced_account(can_trade: bool) -> Answer:
    return Answer(
        200,
        {
            "can_view": True,
            "can_trade": can_trade,
            "can_transfer": False,
            "portfolio_uuid": "8058d771-2d88-4f0f-ab6e-299c153d4308",
            "portfolio_type": "DEFAULT",
        },
    )


def _product(**changes: Any) -> dict[str, Any]:
    product = {
        "id": "BTC-USD",
        "base_currency": "BTC",
        "quote_currency": "USD",
        "quote_increment": "0.01",
        "base_increment": "0.00000001",
        "display_name": "BTC-USD",
        "min_market_funds": "1",
        "margin_enabled": False,
        "post_only": False,
        "limit_only": False,
        "cancel_only": False,
        "status": "online",
        "status_message": "",
        "auction_mode": False,
        "trading_disabled": False,
    }
    product.update(changes)
    return product


def verify_coinbase(keys: SimKeys, req: Incoming, now_ms: int) -> str | None:
    h = req.headers
    if "Authorization" in h:
        return _verify_jwt(req, keys, now_ms)
    if h.get("CB-ACCESS-KEY") != keys.key or h.get("CB-ACCESS-PASSPHRASE") != keys.passphrase:
        return "key"
    stamp = h.get("CB-ACCESS-TIMESTAMP", "0")
    message = f"{stamp}{req.method}{req.path_qs}".encode() + req.body
    if not same(h.get("CB-ACCESS-SIGN", ""), hmac_b64(base64.b64decode(keys.secret), message)):
        return "signature"
    return "timestamp" if abs(now_ms - float(stamp) * 1000) > WINDOW_MS else None


def _verify_jwt(req: Incoming, keys: SimKeys, now_ms: int) -> str | None:
    token = req.headers["Authorization"].removeprefix("Bearer ")
    try:
        claims = jwt.decode(
            token,
            keys.ec_public_pem,
            algorithms=["ES256"],
            options={"verify_exp": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError:
        return "signature"
    if claims.get("sub") != keys.jwt_key_name:
        return "key"
    if claims.get("uri") != f"{req.method} {req.host}{req.path_qs.split('?', 1)[0]}":
        return "signature"
    now_s = now_ms / 1000
    return None if claims.get("nbf", 0) - 5 <= now_s < claims.get("exp", 0) else "timestamp"


def _verifier(keys: SimKeys) -> Verifier:
    return functools.partial(verify_coinbase, keys)


def simulator(advanced: Endpoint) -> VenueSim:
    return VenueSim(CoinbaseWire(advanced), _verifier)
