"""Signers against the venues' published examples, where a venue publishes one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import jwt

from monitor.exchanges.binance import BinanceSigner
from monitor.exchanges.bybit import BybitSigner
from monitor.exchanges.coinbase import CoinbaseExchangeSigner, CoinbaseJwtSigner
from monitor.exchanges.kraken import KrakenSigner
from monitor.exchanges.okx import OkxSigner, okx_timestamp
from monitor.exchanges.signing import hmac_hex, kraken_signature
from monitor.exchanges.sim_wire import make_keys


def test_binance_official_example() -> None:
    # binance-spot-api-docs, rest-api.md "SIGNED endpoint examples for POST /api/v3/order"
    # (HMAC keys): secretKey NhqPtmdSJY..., this totalParams -> c8db5682...6b71.
    secret = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    query = (
        b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        b"&recvWindow=5000&timestamp=1499827319559"
    )
    assert (
        hmac_hex(secret, query)
        == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )


def test_binance_signer_appends_timestamp_window_and_signature() -> None:
    signer = BinanceSigner(
        "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
        "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
    )
    request = signer.sign(
        "GET",
        "https://api.binance.com",
        "/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1",
        1499827319559,
    )
    assert request.url.endswith(
        "&recvWindow=5000&timestamp=1499827319559"
        "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )
    assert request.headers == {
        "X-MBX-APIKEY": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    }
    assert "signature" not in repr(request)


def test_kraken_official_example() -> None:
    # docs.kraken.com, spot REST authentication guide: the AddOrder example.
    signature = kraken_signature(
        "/0/private/AddOrder",
        "1616492376594",
        "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25",
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
    )
    expected = (
        "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
    )
    assert signature == expected


def test_kraken_nonce_strictly_increases() -> None:
    signer = KrakenSigner("k", base64.b64encode(b"s" * 64).decode())
    nonces = [
        int(
            dict(
                urllib.parse.parse_qsl(
                    (signer.sign("POST", "u", "/0/private/Balance", 1000).body or b"").decode()
                )
            )["nonce"]
        )
        for _ in range(3)
    ]
    assert nonces[0] < nonces[1] < nonces[2]


def test_okx_signature_and_timestamp_format() -> None:
    request = OkxSigner("key", "secret", "phrase").sign(
        "GET", "https://www.okx.com", "/api/v5/account/config", 1607418537715
    )
    assert request.headers["OK-ACCESS-TIMESTAMP"] == okx_timestamp(1607418537715)
    assert okx_timestamp(1607418537715) == "2020-12-08T09:08:57.715Z"
    message = b"2020-12-08T09:08:57.715ZGET/api/v5/account/config"
    expected = base64.b64encode(hmac.new(b"secret", message, hashlib.sha256).digest()).decode()
    assert request.headers["OK-ACCESS-SIGN"] == expected
    assert request.headers["OK-ACCESS-PASSPHRASE"] == "phrase"


def test_bybit_signature() -> None:
    request = BybitSigner("key", "secret").sign(
        "GET", "https://api.bybit.com", "/v5/user/query-api", 1658384314791
    )
    expected = hmac.new(b"secret", b"1658384314791key5000", hashlib.sha256).hexdigest()
    assert request.headers["X-BAPI-SIGN"] == expected
    assert request.headers["X-BAPI-TIMESTAMP"] == "1658384314791"


def test_coinbase_exchange_signature() -> None:
    secret = base64.b64encode(b"coinbase-secret").decode()
    request = CoinbaseExchangeSigner("key", secret, "phrase").sign(
        "GET", "https://api.exchange.coinbase.com", "/accounts", 1700000000123
    )
    assert request.headers["CB-ACCESS-TIMESTAMP"] == "1700000000.123"
    message = b"1700000000.123GET/accounts"
    expected = base64.b64encode(hmac.new(b"coinbase-secret", message, hashlib.sha256).digest())
    assert request.headers["CB-ACCESS-SIGN"] == expected.decode()


def test_coinbase_advanced_jwt() -> None:
    keys = make_keys()
    request = CoinbaseJwtSigner(keys.jwt_key_name, keys.ec_private_pem).sign(
        "GET", "https://api.coinbase.com", "/api/v3/brokerage/key_permissions", 1700000000000
    )
    token = request.headers["Authorization"].removeprefix("Bearer ")
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["kid"] == keys.jwt_key_name
    assert len(header["nonce"]) == 32
    claims = jwt.decode(
        token,
        keys.ec_public_pem,
        algorithms=["ES256"],
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert claims["uri"] == "GET api.coinbase.com/api/v3/brokerage/key_permissions"
    assert claims["iss"] == "cdp" and claims["sub"] == keys.jwt_key_name
    assert claims["exp"] - claims["nbf"] == 120
