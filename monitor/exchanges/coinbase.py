"""Coinbase Exchange (https://api.exchange.coinbase.com). Errors are `{"message": ...}` with a
4xx/5xx status; 429 "Public rate limit exceeded". Public endpoints allow about 10 requests/s per
IP. There is no system-status endpoint in the API: the product's own `status` and
`cancel_only` / `post_only` / `limit_only` / `trading_disabled` flags say whether it trades."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import urllib.parse
from typing import Any

import jwt
import pydantic

from monitor.exchanges.base import (
    BARE_429_BACKOFF_S,
    JSON_OBJECT,
    BodyError,
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    Facts,
    RetryAfterHints,
    SignedAccess,
    envelope_error,
    permission_words,
    symbol_endpoint,
    symbol_facts,
)
from monitor.exchanges.coinbase_sim import simulator
from monitor.exchanges.signing import KeyMaterial, SignedRequest, prehash_request
from monitor.models import Outcome


def _auth_problem(status: int, message: str) -> str | None:
    text = message.lower()
    if status == 403:
        return "permission"
    if "signature" in text:
        return "signature"
    if "timestamp" in text:
        return "timestamp"
    return "key"


class _KeyPermissions(pydantic.BaseModel):
    can_view: bool
    can_trade: bool
    can_transfer: bool


class _Time(pydantic.BaseModel):
    epoch: float


class _Product(pydantic.BaseModel):
    status: str
    status_message: str | None = ""
    cancel_only: bool = False
    post_only: bool = False
    limit_only: bool = False
    trading_disabled: bool = False


class _Ticker(pydantic.BaseModel):
    trade_id: int
    price: str
    time: dt.datetime


def _symbol(symbol: str) -> Endpoint:
    return symbol_endpoint(symbol, f"/products/{symbol}")


class CoinbaseRules(RetryAfterHints):
    __slots__ = ()

    def body_error(self, status: int, payload: Any) -> BodyError | None:
        if status in (401, 403):  # Exchange: {"message": ...}; Advanced Trade: {"error": ...}
            fields = payload if isinstance(payload, dict) else {}
            text = str(fields.get("message") or fields.get("error") or "")
            detail = f"HTTP {status} {text}".strip()
            return BodyError(Outcome.AUTH_ERROR, detail, auth_problem=_auth_problem(status, text))
        if not (isinstance(payload, dict) and isinstance(payload.get("message"), str)):
            return None
        if status < 400 and len(payload) > 1:
            return None  # a 200 is an error only when its whole body is the message
        limited = status == 429  # "Public rate limit exceeded": 10 requests/s, start at 5 s
        backoff = BARE_429_BACKOFF_S if limited else None
        return envelope_error(status, payload["message"], rate_limited=limited, backoff_s=backoff)

    def parse(self, endpoint: Endpoint, payload: Any) -> Facts:
        if endpoint.kind is EndpointKind.SYMBOL:  # online, offline, delisted; trading_disabled
            product = _Product.model_validate(payload)
            halted = product.trading_disabled or product.cancel_only
            word = "trading_disabled" if product.trading_disabled else product.status
            word = "cancel_only" if product.cancel_only else word
            return symbol_facts(word, product.status == "online" and not halted)
        if endpoint.kind is EndpointKind.TIME:
            return Facts(server_time_s=_Time.model_validate(payload).epoch)
        if endpoint.kind is EndpointKind.STATUS:
            return _product_facts(_Product.model_validate(payload))
        if endpoint.kind is EndpointKind.MARKET:
            ticker = _Ticker.model_validate(payload)
            return Facts(data_time_s=ticker.time.timestamp(), data_seq=str(ticker.trade_id))
        if endpoint.kind is EndpointKind.ACCOUNT:
            if isinstance(payload, list):  # Exchange /accounts: no permissions reported
                return Facts()
            perms = _KeyPermissions.model_validate(payload)  # Advanced Trade key_permissions
            return Facts(permissions=permission_words(perms.can_trade, perms.can_transfer))
        JSON_OBJECT.validate_python(payload)
        return Facts()


def _product_facts(product: _Product) -> Facts:
    if product.status != "online" or product.trading_disabled:
        detail = product.status_message or f"product {product.status}"
        return Facts(Outcome.MAINTENANCE, detail, venue_status="maintenance")
    for flag in ("cancel_only", "post_only", "limit_only"):
        if getattr(product, flag):
            return Facts(Outcome.DEGRADED, flag, venue_status=flag)
    return Facts(venue_status="normal")


class CoinbaseExchangeSigner:
    """base64 HMAC-SHA256 with the base64-decoded secret over timestamp + METHOD + path + body;
    CB-ACCESS-* headers with the passphrase."""

    __slots__ = ("_key", "_passphrase", "_secret")

    def __init__(self, key: str, secret_b64: str, passphrase: str) -> None:
        self._key, self._secret, self._passphrase = key, base64.b64decode(secret_b64), passphrase

    @classmethod
    def from_keys(cls, keys: KeyMaterial) -> CoinbaseExchangeSigner:
        return cls(keys.key, keys.secret, keys.passphrase)

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        return prehash_request(
            "CB-ACCESS",
            self._key,
            self._secret,
            self._passphrase,
            f"{now_ms / 1000:.3f}",
            method,
            base_url,
            path,
        )


class CoinbaseJwtSigner:
    """Coinbase Advanced Trade (CDP keys): an ES256 JWT per request, 120 s expiry, with the
    `uri` claim "METHOD host/path" and a random nonce in the header."""

    __slots__ = ("_key_name", "_private_key")

    def __init__(self, key_name: str, private_key_pem: str) -> None:
        self._key_name, self._private_key = key_name, private_key_pem

    @classmethod
    def from_keys(cls, keys: KeyMaterial) -> CoinbaseJwtSigner:
        return cls(keys.key, keys.secret)

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        host = urllib.parse.urlsplit(base_url).netloc
        now = now_ms // 1000
        claims = {
            "sub": self._key_name,
            "iss": "cdp",
            "nbf": now,
            "exp": now + 120,
            "uri": f"{method.upper()} {host}{path.split('?', 1)[0]}",
        }
        header = {"kid": self._key_name, "nonce": secrets.token_hex(16)}
        token = jwt.encode(claims, self._private_key, algorithm="ES256", headers=header)
        return SignedRequest(method, base_url + path, {"Authorization": f"Bearer {token}"})


ADVANCED_ACCOUNT = Endpoint("account", "/api/v3/brokerage/key_permissions", EndpointKind.ACCOUNT)

COINBASE = ExchangeProfile(
    name="coinbase",
    base_url="https://api.exchange.coinbase.com",
    endpoints=(
        Endpoint("time", "/time", EndpointKind.TIME),
        Endpoint("status", "/products/BTC-USD", EndpointKind.STATUS),
        Endpoint("ticker", "/products/BTC-USD/ticker", EndpointKind.MARKET),
    ),
    rules=CoinbaseRules(),
    budget_per_min=300,
    published_limit="public endpoints: 10 requests/s per IP, bursts to 15",
    staleness="ticker `time` is the last trade's time and `trade_id` its sequence",
    symbol=_symbol,
    sim=simulator(ADVANCED_ACCOUNT),
    signed=(
        SignedAccess(
            "hmac",
            Endpoint("account", "/accounts", EndpointKind.ACCOUNT),
            CoinbaseExchangeSigner.from_keys,
        ),
        # Advanced Trade (CDP keys, JWT) reads its key's permissions from another host.
        SignedAccess(
            "jwt", ADVANCED_ACCOUNT, CoinbaseJwtSigner.from_keys, "https://api.coinbase.com"
        ),
    ),
    signing_window_ms=(30000.0, 30000.0),
)
