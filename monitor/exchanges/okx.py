"""OKX v5 (https://www.okx.com). Every body is `{"code": "0", "msg": "", "data": [...]}`; a
non-"0" code is an error even under HTTP 200. Code 50011 is the rate limit, sent with HTTP 200
or 429. Public market endpoints allow about 20 requests per 2 s per IP; no usage headers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic

from monitor.exchanges.base import (
    BodyError,
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    Facts,
    MaintenanceWindow,
    RetryAfterHints,
    SignedAccess,
    codes_for,
    envelope_error,
    maintenance_facts,
    permission_words,
    symbol_endpoint,
    symbol_facts,
)
from monitor.exchanges.okx_sim import OKX_SIM
from monitor.exchanges.signing import KeyMaterial, SignedRequest, prehash_request

RATE_LIMIT_CODES = frozenset({"50011", "50061"})
BACKOFF_S = 5.0  # no Retry-After: limits count per 2 s, so start at 5 s
AUTH_CODES = {
    "50111": "key",
    "50105": "key",
    "50113": "signature",
    "50110": "ip",
    "50120": "permission",
    "50102": "timestamp",
    "50112": "timestamp",
}


class _Envelope(pydantic.BaseModel):
    code: str
    msg: str = ""


class _Ts(pydantic.BaseModel):
    ts: int


class _TsData(pydantic.BaseModel):
    data: list[_Ts] = pydantic.Field(min_length=1)


class _Config(pydantic.BaseModel):
    perm: str


class _ConfigData(pydantic.BaseModel):
    data: list[_Config] = pydantic.Field(min_length=1)


class _StatusData(pydantic.BaseModel):
    data: list[MaintenanceWindow]


class _Instrument(pydantic.BaseModel):
    state: str


class _Instruments(pydantic.BaseModel):
    data: list[_Instrument] = pydantic.Field(min_length=1)


def _symbol(symbol: str) -> Endpoint:
    return symbol_endpoint(symbol, f"/api/v5/public/instruments?instType=SPOT&instId={symbol}")


class OkxRules(RetryAfterHints):
    __slots__ = ()

    def body_error(self, status: int, payload: Any) -> BodyError | None:
        if not isinstance(payload, dict) or "code" not in payload:
            return None
        try:
            env = _Envelope.model_validate(payload)
        except pydantic.ValidationError:
            return None
        if env.code == "0":
            return None
        detail = f"{env.code} {env.msg}"
        return envelope_error(
            status,
            detail,
            rate_limited=env.code in RATE_LIMIT_CODES,
            auth_problem=AUTH_CODES.get(env.code),
            backoff_s=BACKOFF_S if env.code in RATE_LIMIT_CODES else None,
        )

    def parse(self, endpoint: Endpoint, payload: Any) -> Facts:
        if endpoint.kind is EndpointKind.SYMBOL:  # live, suspend, preopen, test
            state = _Instruments.model_validate(payload).data[0].state
            return symbol_facts(state, state == "live")
        if endpoint.kind is EndpointKind.TIME:
            return Facts(server_time_s=_TsData.model_validate(payload).data[0].ts / 1000)
        if endpoint.kind is EndpointKind.STATUS:
            return maintenance_facts(_StatusData.model_validate(payload).data)
        if endpoint.kind is EndpointKind.ACCOUNT:  # perm: "read_only,trade,withdraw"
            perm = _ConfigData.model_validate(payload).data[0].perm.split(",")
            return Facts(permissions=permission_words("trade" in perm, "withdraw" in perm))
        return Facts(data_time_s=_TsData.model_validate(payload).data[0].ts / 1000)


def okx_timestamp(now_ms: int) -> str:
    """ISO 8601 with milliseconds, as OKX requires: 2020-12-08T09:08:57.715Z."""
    when = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now_ms % 1000:03d}Z"


class OkxSigner:
    """base64 HMAC-SHA256 of timestamp + METHOD + requestPath (with query) + body."""

    __slots__ = ("_key", "_passphrase", "_secret")

    def __init__(self, key: str, secret: str, passphrase: str) -> None:
        self._key, self._secret, self._passphrase = key, secret.encode(), passphrase

    @classmethod
    def from_keys(cls, keys: KeyMaterial) -> OkxSigner:
        return cls(keys.key, keys.secret, keys.passphrase)

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        return prehash_request(
            "OK-ACCESS",
            self._key,
            self._secret,
            self._passphrase,
            okx_timestamp(now_ms),
            method,
            base_url,
            path,
        )


OKX = ExchangeProfile(
    name="okx",
    base_url="https://www.okx.com",
    endpoints=(
        Endpoint("time", "/api/v5/public/time", EndpointKind.TIME),
        Endpoint("status", "/api/v5/system/status", EndpointKind.STATUS),
        Endpoint("ticker", "/api/v5/market/ticker?instId=BTC-USDT", EndpointKind.MARKET),
    ),
    rules=OkxRules(),
    budget_per_min=300,
    published_limit="public endpoints: about 10-20 requests per 2 s per IP, per endpoint",
    staleness="ticker `ts` (ms) is the data timestamp",
    symbol=_symbol,
    sim=OKX_SIM,
    signed=(
        SignedAccess(
            "hmac",
            Endpoint("account", "/api/v5/account/config", EndpointKind.ACCOUNT, weight=1),
            OkxSigner.from_keys,
        ),
    ),
    signing_window_ms=(30000.0, 30000.0),
    timestamp_errors=codes_for(AUTH_CODES, "timestamp"),
)
