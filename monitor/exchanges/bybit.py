"""Bybit v5 (https://api.bybit.com). Bodies are `{"retCode": 0, "retMsg", "result", "time"}`;
retCode != 0 is an error under HTTP 200, 10006 the rate limit. The IP limit answers HTTP 403
"access too frequent". Usage headers: X-Bapi-Limit-Status (remaining), X-Bapi-Limit,
X-Bapi-Limit-Reset-Timestamp (ms)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from monitor.exchanges.base import (
    BodyError,
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    Facts,
    HeaderHints,
    MaintenanceWindow,
    SignedAccess,
    codes_for,
    envelope_error,
    maintenance_facts,
    permission_words,
    symbol_endpoint,
    symbol_facts,
)
from monitor.exchanges.bybit_sim import BYBIT_SIM
from monitor.exchanges.signing import KeyMaterial, SignedRequest, hmac_hex, query_of
from monitor.models import Outcome
from monitor.retry import parse_retry_after

RATE_LIMIT_CODES = frozenset({10006, 10018})
# "403, access too frequent": "terminate all HTTP sessions and wait for at least 10 minutes"
IP_BAN_S = 600.0
BACKOFF_S = 5.0  # 10006 without X-Bapi-Limit-Reset-Timestamp: start here
AUTH_CODES = {
    10003: "key",
    10004: "signature",
    10010: "ip",
    10005: "permission",
    10002: "timestamp",
}


class _Envelope(pydantic.BaseModel):
    retCode: int
    retMsg: str = ""


class _TimeResult(pydantic.BaseModel):
    timeNano: int


class _Time(pydantic.BaseModel):
    result: _TimeResult


class _StatusList(pydantic.BaseModel):
    list: list[MaintenanceWindow]


class _Status(pydantic.BaseModel):
    result: _StatusList


class _ApiKey(pydantic.BaseModel):
    readOnly: int
    permissions: dict[str, list[str]] = pydantic.Field(default_factory=dict)


class _ApiKeyInfo(pydantic.BaseModel):
    result: _ApiKey


class _Book(pydantic.BaseModel):
    ts: int
    u: int


class _Orderbook(pydantic.BaseModel):
    result: _Book


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.isdigit() else None


class _Instrument(pydantic.BaseModel):
    status: str


class _InstrumentList(pydantic.BaseModel):
    items: list[_Instrument] = pydantic.Field(alias="list", min_length=1)


class _Instruments(pydantic.BaseModel):
    result: _InstrumentList


def _symbol(symbol: str) -> Endpoint:
    return symbol_endpoint(symbol, f"/v5/market/instruments-info?category=spot&symbol={symbol}")


class BybitRules:
    __slots__ = ()

    def header_hints(self, headers: Mapping[str, str], now_s: float) -> HeaderHints:
        remaining = _int_header(headers, "X-Bapi-Limit-Status")
        limit = _int_header(headers, "X-Bapi-Limit")
        ratio = (limit - remaining) / limit if limit and remaining is not None else None
        retry = parse_retry_after(headers.get("Retry-After"), now_s)
        reset_ms = _int_header(headers, "X-Bapi-Limit-Reset-Timestamp")
        if retry is None and reset_ms is not None and remaining in (0, None):
            retry = max(reset_ms / 1000 - now_s, 0.0)
        return HeaderHints(ratio, retry)

    def body_error(self, status: int, payload: Any) -> BodyError | None:
        if status == 403:  # the IP limit (a CDN's block page is told apart before this)
            return BodyError(
                Outcome.RATE_LIMITED, "HTTP 403 access too frequent", retry_after_s=IP_BAN_S
            )
        if not isinstance(payload, dict) or "retCode" not in payload:
            return None
        try:
            env = _Envelope.model_validate(payload)
        except pydantic.ValidationError:
            return None
        if env.retCode == 0:
            return None
        detail = f"{env.retCode} {env.retMsg}"
        return envelope_error(
            status,
            detail,
            rate_limited=env.retCode in RATE_LIMIT_CODES,
            auth_problem=AUTH_CODES.get(env.retCode),
            backoff_s=BACKOFF_S if env.retCode in RATE_LIMIT_CODES else None,
        )

    def parse(self, endpoint: Endpoint, payload: Any) -> Facts:
        if endpoint.kind is EndpointKind.SYMBOL:  # Trading, PreLaunch, Delivering, Closed
            status = _Instruments.model_validate(payload).result.items[0].status
            return symbol_facts(status, status == "Trading")
        if endpoint.kind is EndpointKind.TIME:
            return Facts(server_time_s=_Time.model_validate(payload).result.timeNano / 1e9)
        if endpoint.kind is EndpointKind.STATUS:
            return maintenance_facts(_Status.model_validate(payload).result.list)
        if endpoint.kind is EndpointKind.ACCOUNT:
            key = _ApiKeyInfo.model_validate(payload).result
            granted = {p for perms in key.permissions.values() for p in perms}
            return Facts(permissions=permission_words(key.readOnly == 0, "Withdraw" in granted))
        book = _Orderbook.model_validate(payload).result
        return Facts(data_time_s=book.ts / 1000, data_seq=str(book.u))


class BybitSigner:
    """v5: HMAC-SHA256 hex of timestamp + apiKey + recvWindow + queryString (GET)."""

    __slots__ = ("_key", "_recv_window_ms", "_secret")

    def __init__(self, key: str, secret: str, recv_window_ms: int = 5000) -> None:
        self._key, self._secret, self._recv_window_ms = key, secret.encode(), recv_window_ms

    @classmethod
    def from_keys(cls, keys: KeyMaterial) -> BybitSigner:
        return cls(keys.key, keys.secret, keys.recv_window_ms)

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        payload = f"{now_ms}{self._key}{self._recv_window_ms}{query_of(path)}"
        headers = {
            "X-BAPI-API-KEY": self._key,
            "X-BAPI-TIMESTAMP": str(now_ms),
            "X-BAPI-RECV-WINDOW": str(self._recv_window_ms),
            "X-BAPI-SIGN-TYPE": "2",
            "X-BAPI-SIGN": hmac_hex(self._secret, payload.encode()),
        }
        return SignedRequest(method, base_url + path, headers)


BYBIT = ExchangeProfile(
    name="bybit",
    base_url="https://api.bybit.com",
    endpoints=(
        Endpoint("time", "/v5/market/time", EndpointKind.TIME),
        Endpoint("status", "/v5/system/status", EndpointKind.STATUS),
        Endpoint(
            "orderbook",
            "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1",
            EndpointKind.MARKET,
        ),
    ),
    rules=BybitRules(),
    budget_per_min=600,
    published_limit="600 requests per 5 s per IP (HTTP 403 beyond); per-UID limits on private APIs",
    staleness="orderbook `ts` (ms) is the data timestamp and `u` the update id",
    symbol=_symbol,
    sim=BYBIT_SIM,
    signed=(
        SignedAccess(
            "hmac",
            Endpoint("account", "/v5/user/query-api", EndpointKind.ACCOUNT),
            BybitSigner.from_keys,
        ),
    ),
    signing_window_ms=(1000.0, 5000.0),
    recv_window_param=True,
    timestamp_errors=codes_for(AUTH_CODES, "timestamp"),
)
