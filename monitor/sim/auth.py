"""Signature verification, venue by venue, as each venue does it; and the simulator's keys.

`verify()` returns the problem a real venue would report (key, signature, timestamp, nonce)
or None. The keys are test material for the simulator only."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hmac
import urllib.parse
from collections.abc import Mapping

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from monitor.exchanges.signing import hmac_b64, hmac_hex, kraken_signature

OKX_COINBASE_WINDOW_MS = 30_000


@dataclasses.dataclass(frozen=True, slots=True)
class SimKeys:
    """One key per venue; `ec_private_pem` / `ec_public_pem` for Coinbase Advanced Trade."""

    key: str
    secret: str  # base64 for Kraken and Coinbase Exchange, as those venues issue them
    passphrase: str
    jwt_key_name: str
    ec_private_pem: str
    ec_public_pem: str

    def __repr__(self) -> str:
        return "SimKeys(...)"


def make_keys() -> SimKeys:
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    secret = base64.b64encode(b"simulated-exchange-secret-0123456789abcdef").decode()
    return SimKeys(
        "sim-api-key",
        secret,
        "sim-passphrase",
        "organizations/sim/apiKeys/sim-key",
        private_pem,
        public_pem,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    path_qs: str  # path with its raw query string
    host: str
    headers: Mapping[str, str]
    body: bytes


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def verify_binance(req: Incoming, keys: SimKeys, now_ms: int) -> str | None:
    if req.headers.get("X-MBX-APIKEY") != keys.key:
        return "key"
    query = req.path_qs.split("?", 1)[1] if "?" in req.path_qs else ""
    payload, _, signature = query.rpartition("&signature=")
    if not _same(signature, hmac_hex(keys.secret.encode(), payload.encode())):
        return "signature"
    params = dict(urllib.parse.parse_qsl(payload))
    stamp, window = int(params.get("timestamp", 0)), int(params.get("recvWindow", 5000))
    if stamp > now_ms + 1000 or now_ms - stamp > window:
        return "timestamp"
    return None


def verify_okx(req: Incoming, keys: SimKeys, now_ms: int) -> str | None:
    h = req.headers
    if h.get("OK-ACCESS-KEY") != keys.key or h.get("OK-ACCESS-PASSPHRASE") != keys.passphrase:
        return "key"
    stamp = h.get("OK-ACCESS-TIMESTAMP", "")
    message = f"{stamp}{req.method}{req.path_qs}".encode() + req.body
    if not _same(h.get("OK-ACCESS-SIGN", ""), hmac_b64(keys.secret.encode(), message)):
        return "signature"
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000
    return "timestamp" if abs(now_ms - when) > OKX_COINBASE_WINDOW_MS else None


def verify_bybit(req: Incoming, keys: SimKeys, now_ms: int) -> str | None:
    h = req.headers
    if h.get("X-BAPI-API-KEY") != keys.key:
        return "key"
    stamp, window = h.get("X-BAPI-TIMESTAMP", "0"), h.get("X-BAPI-RECV-WINDOW", "5000")
    query = req.path_qs.split("?", 1)[1] if "?" in req.path_qs else ""
    expected = hmac_hex(keys.secret.encode(), f"{stamp}{keys.key}{window}{query}".encode())
    if not _same(h.get("X-BAPI-SIGN", ""), expected):
        return "signature"
    ts = int(stamp)
    return None if now_ms - int(window) <= ts < now_ms + 1000 else "timestamp"


def verify_kraken(req: Incoming, keys: SimKeys, last_nonce: int) -> str | None:
    if req.headers.get("API-Key") != keys.key:
        return "key"
    postdata = req.body.decode()
    nonce = dict(urllib.parse.parse_qsl(postdata)).get("nonce", "0")
    expected = kraken_signature(req.path_qs, nonce, postdata, keys.secret)
    if not _same(req.headers.get("API-Sign", ""), expected):
        return "signature"
    return "nonce" if int(nonce) <= last_nonce else None


def verify_coinbase(req: Incoming, keys: SimKeys, now_ms: int) -> str | None:
    h = req.headers
    if "Authorization" in h:
        return _verify_jwt(req, keys, now_ms)
    if h.get("CB-ACCESS-KEY") != keys.key or h.get("CB-ACCESS-PASSPHRASE") != keys.passphrase:
        return "key"
    stamp = h.get("CB-ACCESS-TIMESTAMP", "0")
    message = f"{stamp}{req.method}{req.path_qs}".encode() + req.body
    if not _same(h.get("CB-ACCESS-SIGN", ""), hmac_b64(base64.b64decode(keys.secret), message)):
        return "signature"
    return "timestamp" if abs(now_ms - float(stamp) * 1000) > OKX_COINBASE_WINDOW_MS else None


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
