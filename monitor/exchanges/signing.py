"""Request signers, one per venue, each exactly as the venue documents it. Pure apart from
Kraken's nonce counter and the JWT's random nonce. Secrets stay in the signer (slots, no
repr of their values) and leave it only inside the signature."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
import urllib.parse
from typing import Protocol

import jwt


@dataclasses.dataclass(frozen=True, slots=True)
class SignedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None

    def __repr__(self) -> str:  # headers carry keys and signatures
        return f"SignedRequest({self.method} {self.url.split('?', 1)[0]})"


class Signer(Protocol):
    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        """Sign a request for `path` (query string included) at `now_ms` (ms since epoch)."""
        ...


def hmac_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def hmac_b64(secret: bytes, message: bytes, digest: str = "sha256") -> str:
    return base64.b64encode(hmac.new(secret, message, digest).digest()).decode()


def prehash_request(
    prefix: str,
    key: str,
    secret: bytes,
    passphrase: str,
    stamp: str,
    method: str,
    base_url: str,
    path: str,
) -> SignedRequest:
    """OKX and Coinbase Exchange: base64 HMAC-SHA256 of timestamp + METHOD + path (+ body),
    sent in `<prefix>-KEY/-SIGN/-TIMESTAMP/-PASSPHRASE` headers."""
    signature = hmac_b64(secret, f"{stamp}{method.upper()}{path}".encode())
    headers = {
        f"{prefix}-KEY": key,
        f"{prefix}-SIGN": signature,
        f"{prefix}-TIMESTAMP": stamp,
        f"{prefix}-PASSPHRASE": passphrase,
    }
    return SignedRequest(method, base_url + path, headers)


def _join(path: str, extra: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{extra}"


def signer_for(
    venue: str, key: str, secret: str, passphrase: str, *, scheme: str, recv_window_ms: int
) -> Signer:
    """The venue's signer for one set of credentials."""
    if venue == "binance":
        return BinanceSigner(key, secret, recv_window_ms)
    if venue == "okx":
        return OkxSigner(key, secret, passphrase)
    if venue == "bybit":
        return BybitSigner(key, secret, recv_window_ms)
    if venue == "kraken":
        return KrakenSigner(key, secret)
    if venue == "coinbase":
        if scheme == "jwt":
            return CoinbaseJwtSigner(key, secret)
        return CoinbaseExchangeSigner(key, secret, passphrase)
    raise KeyError(f"no signer for {venue}")


class BinanceSigner:
    """HMAC-SHA256 hex of the query string (plus body) with timestamp and recvWindow;
    the key in X-MBX-APIKEY."""

    __slots__ = ("_key", "_recv_window_ms", "_secret")

    def __init__(self, key: str, secret: str, recv_window_ms: int = 5000) -> None:
        self._key, self._secret, self._recv_window_ms = key, secret.encode(), recv_window_ms

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        signed_path = _join(path, f"recvWindow={self._recv_window_ms}&timestamp={now_ms}")
        query = signed_path.split("?", 1)[1]
        url = f"{base_url}{signed_path}&signature={hmac_hex(self._secret, query.encode())}"
        return SignedRequest(method, url, {"X-MBX-APIKEY": self._key})


def okx_timestamp(now_ms: int) -> str:
    """ISO 8601 with milliseconds, as OKX requires: 2020-12-08T09:08:57.715Z."""
    when = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now_ms % 1000:03d}Z"


class OkxSigner:
    """base64 HMAC-SHA256 of timestamp + METHOD + requestPath (with query) + body."""

    __slots__ = ("_key", "_passphrase", "_secret")

    def __init__(self, key: str, secret: str, passphrase: str) -> None:
        self._key, self._secret, self._passphrase = key, secret.encode(), passphrase

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


class BybitSigner:
    """v5: HMAC-SHA256 hex of timestamp + apiKey + recvWindow + queryString (GET)."""

    __slots__ = ("_key", "_recv_window_ms", "_secret")

    def __init__(self, key: str, secret: str, recv_window_ms: int = 5000) -> None:
        self._key, self._secret, self._recv_window_ms = key, secret.encode(), recv_window_ms

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        query = path.split("?", 1)[1] if "?" in path else ""
        payload = f"{now_ms}{self._key}{self._recv_window_ms}{query}"
        headers = {
            "X-BAPI-API-KEY": self._key,
            "X-BAPI-TIMESTAMP": str(now_ms),
            "X-BAPI-RECV-WINDOW": str(self._recv_window_ms),
            "X-BAPI-SIGN-TYPE": "2",
            "X-BAPI-SIGN": hmac_hex(self._secret, payload.encode()),
        }
        return SignedRequest(method, base_url + path, headers)


def kraken_signature(path: str, nonce: str, postdata: str, secret_b64: str) -> str:
    """API-Sign = base64(HMAC-SHA512(base64decode(secret), path + SHA256(nonce + postdata)))."""
    inner = hashlib.sha256((nonce + postdata).encode()).digest()
    return hmac_b64(base64.b64decode(secret_b64), path.encode() + inner, "sha512")


class KrakenSigner:
    """POST form with a strictly increasing nonce; API-Key and API-Sign headers."""

    __slots__ = ("_key", "_last_nonce", "_secret")

    def __init__(self, key: str, secret_b64: str) -> None:
        self._key, self._secret, self._last_nonce = key, secret_b64, 0

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


class CoinbaseExchangeSigner:
    """base64 HMAC-SHA256 with the base64-decoded secret over timestamp + METHOD + path + body;
    CB-ACCESS-* headers with the passphrase."""

    __slots__ = ("_key", "_passphrase", "_secret")

    def __init__(self, key: str, secret_b64: str, passphrase: str) -> None:
        self._key, self._secret, self._passphrase = key, base64.b64decode(secret_b64), passphrase

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
