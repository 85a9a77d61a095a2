"""What every request signer is, and the primitives venues share. Each venue's own signer
lives in its module and is carried by its profile (`ExchangeProfile.signed`). Secrets stay in
the signer (slots, no repr of their values) and leave it only inside the signature."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from collections.abc import Callable
from typing import Protocol


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


@dataclasses.dataclass(frozen=True, slots=True)
class KeyMaterial:
    """One set of credentials, as plain values, for a venue's signer factory."""

    key: str
    secret: str
    passphrase: str = ""
    recv_window_ms: int = 5000

    def __repr__(self) -> str:
        return "KeyMaterial(...)"


SignerFactory = Callable[[KeyMaterial], Signer]


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


def join_query(path: str, extra: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{extra}"


def query_of(path_qs: str) -> str:
    return path_qs.split("?", 1)[1] if "?" in path_qs else ""


def kraken_signature(path: str, nonce: str, postdata: str, secret_b64: str) -> str:
    """Kraken's API-Sign (shared by its signer and its simulator's verifier):
    base64(HMAC-SHA512(base64decode(secret), path + SHA256(nonce + postdata)))."""
    inner = hashlib.sha256((nonce + postdata).encode()).digest()
    return hmac_b64(base64.b64decode(secret_b64), path.encode() + inner, "sha512")
