"""Binance spot (https://api.binance.com). Errors are `{"code": <negative>, "msg": ...}` with
4xx/5xx; 429 = over the request-weight limit, 418 = IP banned (msg carries the end in ms).
Used weight comes in `X-MBX-USED-WEIGHT-1M` against REQUEST_WEIGHT 6000 per minute."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pydantic

from monitor.exchanges.base import (
    JSON_OBJECT,
    BodyError,
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    Facts,
    HeaderHints,
    SignedAccess,
    codes_for,
    envelope_error,
    permission_words,
    symbol_endpoint,
    symbol_facts,
)
from monitor.exchanges.binance_sim import BINANCE_SIM
from monitor.exchanges.signing import KeyMaterial, SignedRequest, hmac_hex, join_query
from monitor.models import Outcome
from monitor.retry import parse_retry_after

WEIGHT_LIMIT_1M = 6000
AUTH_CODES = {-2015: "key", -2014: "key", -1022: "signature", -1021: "timestamp"}
TRADE_FLAGS = (
    "enableSpotAndMarginTrading",
    "enableMargin",
    "enableFutures",
    "enableVanillaOptions",
    "enablePortfolioMarginTrading",
)
WITHDRAW_FLAGS = ("enableWithdrawals", "enableInternalTransfer", "permitsUniversalTransfer")
_BAN_UNTIL = re.compile(r"banned until (\d{10,})")
# Without Retry-After, back off from: -1003 (weight over the 1-minute window) 15 s; -1008
# "Server is currently overloaded with other requests. Please try again in a few minutes." 30 s.
BACKOFF_S = {-1003: 15.0, -1008: 30.0}


class _Error(pydantic.BaseModel):
    code: int
    msg: str = ""


class _Time(pydantic.BaseModel):
    serverTime: int


class _Status(pydantic.BaseModel):
    status: int
    msg: str = ""


class _Depth(pydantic.BaseModel):
    lastUpdateId: int
    bids: list[list[str]]
    asks: list[list[str]]


class _SymbolStatus(pydantic.BaseModel):
    status: str


class _ExchangeInfo(pydantic.BaseModel):
    symbols: list[_SymbolStatus] = pydantic.Field(min_length=1)


def _symbol(symbol: str) -> Endpoint:
    return symbol_endpoint(symbol, f"/api/v3/exchangeInfo?symbol={symbol}", weight=20)


class BinanceRules:
    __slots__ = ()

    def header_hints(self, headers: Mapping[str, str], now_s: float) -> HeaderHints:
        used = headers.get("X-MBX-USED-WEIGHT-1M")
        ratio = None
        if used is not None and used.isdigit():
            ratio = int(used) / WEIGHT_LIMIT_1M
        return HeaderHints(ratio, parse_retry_after(headers.get("Retry-After"), now_s))

    def body_error(self, status: int, payload: Any) -> BodyError | None:
        if not (isinstance(payload, dict) and "code" in payload and "msg" in payload):
            return None
        try:
            err = _Error.model_validate(payload)
        except pydantic.ValidationError:
            return None
        detail = f"{err.code} {err.msg}"
        if status == 418:
            match = _BAN_UNTIL.search(err.msg)
            ban = int(match.group(1)) / 1000 if match else None
            return BodyError(Outcome.RATE_LIMITED, f"IP banned: {detail}", ban_until_s=ban)
        limited = status == 429 or err.code in BACKOFF_S
        return envelope_error(
            status,
            detail,
            rate_limited=limited,
            auth_problem=AUTH_CODES.get(err.code),
            backoff_s=BACKOFF_S.get(err.code, 15.0 if limited else None),
        )

    def parse(self, endpoint: Endpoint, payload: Any) -> Facts:
        if endpoint.kind is EndpointKind.SYMBOL:  # TRADING, HALT, BREAK, END_OF_DAY...
            word = _ExchangeInfo.model_validate(payload).symbols[0].status
            return symbol_facts(word, word == "TRADING")
        if endpoint.kind is EndpointKind.TIME:
            return Facts(server_time_s=_Time.model_validate(payload).serverTime / 1000)
        if endpoint.kind is EndpointKind.STATUS:
            status = _Status.model_validate(payload)
            if status.status == 0:
                return Facts(venue_status="normal")
            return Facts(
                Outcome.MAINTENANCE, status.msg or "maintenance", venue_status="maintenance"
            )
        if endpoint.kind is EndpointKind.MARKET:
            return Facts(data_seq=str(_Depth.model_validate(payload).lastUpdateId))
        if endpoint.kind is EndpointKind.ACCOUNT:
            flags = JSON_OBJECT.validate_python(payload)
            trade = any(flags.get(f) is True for f in TRADE_FLAGS)
            withdraw = any(flags.get(f) is True for f in WITHDRAW_FLAGS)
            return Facts(permissions=permission_words(trade, withdraw))
        JSON_OBJECT.validate_python(payload)
        return Facts()


class BinanceSigner:
    """HMAC-SHA256 hex of the query string (plus body) with timestamp and recvWindow;
    the key in X-MBX-APIKEY."""

    __slots__ = ("_key", "_recv_window_ms", "_secret")

    def __init__(self, key: str, secret: str, recv_window_ms: int = 5000) -> None:
        self._key, self._secret, self._recv_window_ms = key, secret.encode(), recv_window_ms

    @classmethod
    def from_keys(cls, keys: KeyMaterial) -> BinanceSigner:
        return cls(keys.key, keys.secret, keys.recv_window_ms)

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        signed_path = join_query(path, f"recvWindow={self._recv_window_ms}&timestamp={now_ms}")
        query = signed_path.split("?", 1)[1]
        url = f"{base_url}{signed_path}&signature={hmac_hex(self._secret, query.encode())}"
        return SignedRequest(method, url, {"X-MBX-APIKEY": self._key})


BINANCE = ExchangeProfile(
    name="binance",
    base_url="https://api.binance.com",
    endpoints=(
        Endpoint("ping", "/api/v3/ping", EndpointKind.PING),
        Endpoint("time", "/api/v3/time", EndpointKind.TIME),
        Endpoint("status", "/sapi/v1/system/status", EndpointKind.STATUS),
        Endpoint("depth", "/api/v3/depth?symbol=BTCUSDT&limit=5", EndpointKind.MARKET, weight=5),
    ),
    rules=BinanceRules(),
    budget_per_min=1200,
    published_limit="REQUEST_WEIGHT 6000 per minute per IP (X-MBX-USED-WEIGHT-1M)",
    staleness="depth has no timestamp: lastUpdateId frozen over several probes means stale",
    symbol=_symbol,
    sim=BINANCE_SIM,
    signed=(
        SignedAccess(
            "hmac",
            Endpoint("account", "/sapi/v1/account/apiRestrictions", EndpointKind.ACCOUNT),
            BinanceSigner.from_keys,
        ),
    ),
    signing_window_ms=(1000.0, 5000.0),
    recv_window_param=True,
    timestamp_errors=codes_for(AUTH_CODES, "timestamp"),
)
