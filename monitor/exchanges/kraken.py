"""Kraken spot (https://api.kraken.com). Every body is `{"error": [...], "result": {...}}` and
HTTP status codes are "generally not used": a 200 with a non-empty `error` array has failed.
Rate limits come back as `EAPI:Rate limit exceeded` or `EService:Throttled`. SystemStatus is
online | maintenance | cancel_only | post_only | limit_only. Server time has 1 s resolution."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pydantic

from monitor.exchanges.base import (
    BodyError,
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    Facts,
    RetryAfterHints,
    SignedAccess,
    envelope_error,
    symbol_endpoint,
    symbol_facts,
)
from monitor.exchanges.kraken_sim import KRAKEN_SIM
from monitor.exchanges.signing import KeyMaterial, SignedRequest, kraken_signature
from monitor.models import Outcome

_RATE_LIMIT_PREFIXES = (
    "EAPI:Rate limit exceeded",
    "EService:Throttled",
    "EGeneral:Temporary lockout",
)
BACKOFF_S = 10.0  # no Retry-After: the public counter decays about 1 per second
_DEGRADED = frozenset({"cancel_only", "post_only", "limit_only"})
AUTH_ERRORS = {
    "EAPI:Invalid key": "key",
    "EAPI:Invalid signature": "signature",
    "EAPI:Invalid nonce": "nonce",
    "EGeneral:Permission denied": "permission",
}


def _auth_problem(errors: list[object]) -> str | None:
    for error in errors:
        for prefix, problem in AUTH_ERRORS.items():
            if str(error).startswith(prefix):
                return problem
    return None


class _TimeResult(pydantic.BaseModel):
    unixtime: int


class _Time(pydantic.BaseModel):
    result: _TimeResult


class _StatusResult(pydantic.BaseModel):
    status: str


class _Status(pydantic.BaseModel):
    result: _StatusResult


class _Balance(pydantic.BaseModel):
    result: dict[str, str]


class _Book(pydantic.BaseModel):
    asks: list[tuple[str, str, int]]
    bids: list[tuple[str, str, int]]


class _Depth(pydantic.BaseModel):
    result: dict[str, _Book] = pydantic.Field(min_length=1)


def _is_rate_limit(message: str) -> bool:
    folded = message.replace(" ", "")
    return any(folded.startswith(p.replace(" ", "")) for p in _RATE_LIMIT_PREFIXES)


PAIR_TRADING = frozenset({"online", "post_only", "limit_only"})  # new orders accepted


class _Pair(pydantic.BaseModel):
    status: str = "online"  # older answers carry no status


class _Pairs(pydantic.BaseModel):
    result: dict[str, _Pair] = pydantic.Field(min_length=1)


def _symbol(symbol: str) -> Endpoint:
    return symbol_endpoint(symbol, f"/0/public/AssetPairs?pair={symbol}")


class KrakenRules(RetryAfterHints):
    __slots__ = ()

    def body_error(self, status: int, payload: Any) -> BodyError | None:
        errors = payload.get("error") if isinstance(payload, dict) else None
        if not errors or not isinstance(errors, list):
            return None
        message = "; ".join(str(e) for e in errors)
        limited = any(_is_rate_limit(str(e)) for e in errors)
        return envelope_error(
            status,
            message,
            rate_limited=limited,
            auth_problem=_auth_problem(errors),
            backoff_s=BACKOFF_S if limited else None,
        )

    def parse(self, endpoint: Endpoint, payload: Any) -> Facts:
        if endpoint.kind is EndpointKind.SYMBOL:  # online, cancel_only, post_only, ...
            status = next(iter(_Pairs.model_validate(payload).result.values())).status
            return symbol_facts(status, status in PAIR_TRADING)
        if endpoint.kind is EndpointKind.TIME:
            # unixtime is truncated to the second: the true time lies in [t, t + 1).
            unixtime = _Time.model_validate(payload).result.unixtime
            return Facts(server_time_s=unixtime + 0.5, time_resolution_s=1.0)
        if endpoint.kind is EndpointKind.STATUS:
            return _status_facts(_Status.model_validate(payload).result.status)
        if endpoint.kind is EndpointKind.ACCOUNT:  # Balance: Kraken reports no key permissions
            _Balance.model_validate(payload)
            return Facts()
        book = next(iter(_Depth.model_validate(payload).result.values()))
        stamps = [level[2] for level in (*book.asks, *book.bids)]
        return Facts(data_time_s=float(max(stamps)) if stamps else None)


def _status_facts(status: str) -> Facts:
    if status == "online":
        return Facts(venue_status="normal")
    if status in _DEGRADED:
        return Facts(Outcome.DEGRADED, status, venue_status=status)
    return Facts(Outcome.MAINTENANCE, status, venue_status="maintenance")


class KrakenSigner:
    """POST form with a strictly increasing nonce; API-Key and API-Sign headers."""

    __slots__ = ("_key", "_last_nonce", "_secret")

    def __init__(self, key: str, secret_b64: str) -> None:
        self._key, self._secret, self._last_nonce = key, secret_b64, 0

    @classmethod
    def from_keys(cls, keys: KeyMaterial) -> KrakenSigner:
        return cls(keys.key, keys.secret)

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        nonce = max(now_ms * 1000, self._last_nonce + 1)  # microseconds, never repeating
        self._last_nonce = nonce
        postdata = urllib.parse.urlencode({"nonce": nonce})
        headers = {
            "API-Key": self._key,
            "API-Sign": kraken_signature(path, str(nonce), postdata, self._secret),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return SignedRequest("POST", base_url + path, headers, postdata.encode())


KRAKEN = ExchangeProfile(
    name="kraken",
    base_url="https://api.kraken.com",
    endpoints=(
        Endpoint("time", "/0/public/Time", EndpointKind.TIME),
        Endpoint("status", "/0/public/SystemStatus", EndpointKind.STATUS),
        Endpoint("depth", "/0/public/Depth?pair=XBTUSD&count=10", EndpointKind.MARKET),
    ),
    rules=KrakenRules(),
    budget_per_min=60,
    published_limit="public endpoints: about 1 request/s per IP",
    staleness="depth levels carry their update time (s): the newest one is the data timestamp",
    symbol=_symbol,
    sim=KRAKEN_SIM,
    signed=(
        SignedAccess(
            "hmac",
            Endpoint("account", "/0/private/Balance", EndpointKind.ACCOUNT, method="POST"),
            KrakenSigner.from_keys,
        ),
    ),
)
