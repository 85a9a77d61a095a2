"""Venue interpretation, table-driven: fixture body + status + headers -> outcome and facts.
Fixture provenance: tests/fixtures/exchanges/SOURCES.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.exchanges import EXCHANGES, Endpoint
from monitor.models import Outcome

FIXTURES = Path(__file__).parent.parent / "fixtures" / "exchanges"
NOW = 1_700_000_000.0


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# (venue, endpoint, body, status, headers, outcome, expected facts)
CASES: list[tuple[str, str, bytes, int, dict[str, str], Outcome, dict[str, Any]]] = [
    ("binance", "ping", body("binance/ping.json"), 200, {}, Outcome.OK, {}),
    (
        "binance",
        "time",
        body("binance/time.json"),
        200,
        {},
        Outcome.OK,
        {"server_time_s": 1499827319.559},
    ),
    (
        "binance",
        "status",
        body("binance/system_status_normal.json"),
        200,
        {},
        Outcome.OK,
        {"venue_status": "normal"},
    ),
    (
        "binance",
        "status",
        body("binance/system_status_maintenance.json"),
        200,
        {},
        Outcome.MAINTENANCE,
        {"venue_status": "maintenance"},
    ),
    (
        "binance",
        "depth",
        body("binance/depth.json"),
        200,
        {"X-MBX-USED-WEIGHT-1M": "4800"},
        Outcome.OK,
        {"data_seq": "1027024", "rate_used_ratio": 0.8},
    ),
    (
        "binance",
        "depth",
        body("binance/depth_btcusdt_recorded_ccxt.json"),
        200,
        {},
        Outcome.OK,
        {},
    ),  # ccxt stores lastUpdateId as a string: numeric strings are accepted
    (
        "binance",
        "depth",
        body("binance/error_429_too_much_weight_legacy1200.json"),
        429,
        {"Retry-After": "37"},
        Outcome.RATE_LIMITED,
        {"retry_after_s": 37.0},
    ),
    (
        "binance",
        "depth",
        body("binance/error_418_ip_banned.json"),
        418,
        {"Retry-After": "120"},
        Outcome.RATE_LIMITED,
        {"ban_until_s": 1660090423.228, "retry_after_s": 120.0},
    ),
    (
        "binance",
        "time",
        body("binance/error_1121_invalid_symbol.json"),
        400,
        {},
        Outcome.HTTP_ERROR,
        {"detail": "HTTP 400 -1121 Invalid symbol."},
    ),
    (
        "binance",
        "time",
        body("binance/error_1121_invalid_symbol.json"),
        200,
        {},
        Outcome.EXCHANGE_ERROR,
        {},
    ),
    (
        "binance",
        "time",
        b"<html>502 Bad Gateway</html>",
        502,
        {},
        Outcome.HTTP_ERROR,
        {"detail": "HTTP 502"},
    ),
    ("binance", "time", b"<html>Site under maintenance</html>", 503, {}, Outcome.MAINTENANCE, {}),
    (
        "binance",
        "time",
        b'{"serverTime": 17',
        200,
        {},
        Outcome.BAD_PAYLOAD,
        {"detail": "invalid JSON"},
    ),
    ("binance", "time", b"\xff\xfe\x00garbage", 200, {}, Outcome.BAD_PAYLOAD, {}),
    ("binance", "time", b'{"serverTime": "soon"}', 200, {}, Outcome.BAD_PAYLOAD, {}),
    ("okx", "time", body("okx/time.json"), 200, {}, Outcome.OK, {"server_time_s": 1597026383.085}),
    (
        "okx",
        "status",
        body("okx/system_status.json"),
        200,
        {},
        Outcome.OK,
        {"venue_status": "normal"},
    ),
    (
        "okx",
        "status",
        body("okx/system_status_none.json"),
        200,
        {},
        Outcome.OK,
        {"venue_status": "normal"},
    ),
    (
        "okx",
        "status",
        body("okx/system_status.json").replace(b'"completed"', b'"ongoing"'),
        200,
        {},
        Outcome.MAINTENANCE,
        {"venue_status": "maintenance", "maintenance_end_s": 1672823520.0},
    ),
    (
        "okx",
        "status",
        body("okx/system_status_scheduled.json"),
        200,
        {},
        Outcome.OK,
        {
            "venue_status": "scheduled",
            "detail": "Trading account system upgrade (in batches of accounts)",
            "maintenance_begin_s": 1672823400.0,
            "maintenance_end_s": 1672823520.0,
        },
    ),
    (
        "okx",
        "ticker",
        body("okx/ticker.json"),
        200,
        {},
        Outcome.OK,
        {"data_time_s": 1597026383.085},
    ),
    ("okx", "ticker", body("okx/error_50011_http200.json"), 200, {}, Outcome.RATE_LIMITED, {}),
    ("okx", "ticker", body("okx/error_50011_http429.json"), 429, {}, Outcome.RATE_LIMITED, {}),
    (
        "okx",
        "ticker",
        b'{"code":"50013","msg":"Systems are busy","data":[]}',
        200,
        {},
        Outcome.EXCHANGE_ERROR,
        {"detail": "50013 Systems are busy"},
    ),
    ("okx", "ticker", b'{"code":"0","msg":"","data":[]}', 200, {}, Outcome.BAD_PAYLOAD, {}),
    (
        "bybit",
        "time",
        body("bybit/time.json"),
        200,
        {},
        Outcome.OK,
        {"server_time_s": pytest.approx(1688639403.423213947)},
    ),
    (
        "bybit",
        "status",
        body("bybit/system_status.json"),
        200,
        {},
        Outcome.OK,
        {"venue_status": "normal"},
    ),
    (
        "bybit",
        "status",
        body("bybit/system_status_scheduled.json"),
        200,
        {},
        Outcome.OK,
        {
            "venue_status": "scheduled",
            "detail": "t06",
            "maintenance_begin_s": 1751596902.0,
            "maintenance_end_s": 1751597011.0,
        },
    ),
    (
        "bybit",
        "orderbook",
        body("bybit/orderbook.json"),
        200,
        {"X-Bapi-Limit": "600", "X-Bapi-Limit-Status": "150"},
        Outcome.OK,
        {"data_time_s": 1716863719.031, "data_seq": "230704", "rate_used_ratio": 0.75},
    ),
    (
        "bybit",
        "orderbook",
        body("bybit/error_10006_too_many_visits.json"),
        200,
        {
            "X-Bapi-Limit": "600",
            "X-Bapi-Limit-Status": "0",
            "X-Bapi-Limit-Reset-Timestamp": str(int((NOW + 4) * 1000)),
        },
        Outcome.RATE_LIMITED,
        {"retry_after_s": pytest.approx(4.0), "rate_used_ratio": 1.0},
    ),
    ("bybit", "orderbook", b"access too frequent", 403, {}, Outcome.RATE_LIMITED, {}),
    (
        "bybit",
        "orderbook",
        b'{"retCode":10016,"retMsg":"Internal error","result":{}}',
        200,
        {},
        Outcome.EXCHANGE_ERROR,
        {},
    ),
    (
        "coinbase",
        "time",
        body("coinbase/exchange_time.json"),
        200,
        {},
        Outcome.OK,
        {"server_time_s": 1589270451.504},
    ),
    (
        "coinbase",
        "ticker",
        body("coinbase/exchange_ticker.json"),
        200,
        {},
        Outcome.OK,
        {"data_time_s": 1580177613.012523, "data_seq": "843439"},
    ),
    (
        "coinbase",
        "ticker",
        body("coinbase/exchange_error_429_public.json"),
        429,
        {},
        Outcome.RATE_LIMITED,
        {},
    ),
    (
        "coinbase",
        "ticker",
        body("coinbase/exchange_error_429_private.json"),
        429,
        {},
        Outcome.RATE_LIMITED,
        {},
    ),
    (
        "coinbase",
        "ticker",
        body("coinbase/exchange_error_invalid_price.json"),
        400,
        {},
        Outcome.HTTP_ERROR,
        {},
    ),
    (
        "coinbase",
        "status",
        b'{"id":"BTC-USD","status":"online","cancel_only":true}',
        200,
        {},
        Outcome.DEGRADED,
        {"venue_status": "cancel_only"},
    ),
    (
        "coinbase",
        "status",
        b'{"id":"BTC-USD","status":"delisted"}',
        200,
        {},
        Outcome.MAINTENANCE,
        {},
    ),
    (
        "kraken",
        "time",
        body("kraken/time.json"),
        200,
        {},
        Outcome.OK,
        {"server_time_s": 1591502873.5, "time_resolution_s": 1.0},
    ),
    (
        "kraken",
        "status",
        body("kraken/system_status.json"),
        200,
        {},
        Outcome.OK,
        {"venue_status": "normal"},
    ),
    ("kraken", "status", body("kraken/system_status_legacy.json"), 200, {}, Outcome.OK, {}),
    (
        "kraken",
        "status",
        body("kraken/system_status.json").replace(b"online", b"cancel_only"),
        200,
        {},
        Outcome.DEGRADED,
        {"venue_status": "cancel_only"},
    ),
    (
        "kraken",
        "status",
        body("kraken/system_status.json").replace(b"online", b"maintenance"),
        200,
        {},
        Outcome.MAINTENANCE,
        {"venue_status": "maintenance"},
    ),
    (
        "kraken",
        "depth",
        body("kraken/depth_xethxxbt.json"),
        200,
        {},
        Outcome.OK,
        {"data_time_s": 1586321307.0},
    ),
    ("kraken", "depth", body("kraken/error_rate_limit.json"), 200, {}, Outcome.RATE_LIMITED, {}),
    (
        "kraken",
        "depth",
        b'{"error":["EService: Throttled: 1700000000"]}',
        200,
        {},
        Outcome.RATE_LIMITED,
        {},
    ),
    (
        "kraken",
        "depth",
        body("kraken/error_invalid_arguments.json"),
        200,
        {},
        Outcome.EXCHANGE_ERROR,
        {},
    ),
    (
        "kraken",
        "account",
        body("kraken/error_invalid_key.json"),
        200,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "key"},
    ),
    (
        "kraken",
        "account",
        b'{"error":["EAPI:Invalid signature"]}',
        200,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "signature"},
    ),
    (
        "kraken",
        "account",
        b'{"error":["EAPI:Invalid nonce"]}',
        200,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "nonce"},
    ),
    (
        "kraken",
        "account",
        b'{"error":[],"result":{"ZUSD":"171288.6158"}}',
        200,
        {},
        Outcome.OK,
        {"permissions": None},
    ),
    (
        "binance",
        "account",
        body("binance/error_2015_invalid_key.json"),
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "key"},
    ),
    (
        "binance",
        "account",
        body("binance/error_2014_bad_key_format.json"),
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "key"},
    ),
    (
        "binance",
        "account",
        body("binance/error_1022_invalid_signature.json"),
        400,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "signature"},
    ),
    (
        "binance",
        "account",
        body("binance/error_1021_timestamp_outside_recvwindow.json"),
        400,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "timestamp"},
    ),
    (
        "binance",
        "account",
        body("binance/error_1021_timestamp_ahead.json"),
        400,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "timestamp"},
    ),
    (
        "binance",
        "account",
        b'{"ipRestrict":true,"enableReading":true,"enableWithdrawals":false,'
        b'"enableSpotAndMarginTrading":false}',
        200,
        {},
        Outcome.OK,
        {"permissions": "read"},
    ),
    (
        "binance",
        "account",
        b'{"ipRestrict":false,"enableReading":true,"enableWithdrawals":true,'
        b'"enableSpotAndMarginTrading":true}',
        200,
        {},
        Outcome.OK,
        {"permissions": "read,trade,withdraw"},
    ),
    (
        "okx",
        "account",
        b'{"code":"50111","msg":"Invalid OK-ACCESS-KEY.","data":[]}',
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "key"},
    ),
    (
        "okx",
        "account",
        b'{"code":"50113","msg":"Invalid Sign.","data":[]}',
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "signature"},
    ),
    (
        "okx",
        "account",
        b'{"code":"50102","msg":"Timestamp request expired.","data":[]}',
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "timestamp"},
    ),
    (
        "okx",
        "account",
        b'{"code":"0","msg":"","data":[{"perm":"read_only,trade"}]}',
        200,
        {},
        Outcome.OK,
        {"permissions": "read,trade"},
    ),
    (
        "bybit",
        "account",
        b'{"retCode":10003,"retMsg":"API key is invalid.","result":{}}',
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "key"},
    ),
    (
        "bybit",
        "account",
        b'{"retCode":10004,"retMsg":"error sign!","result":{}}',
        200,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "signature"},
    ),
    (
        "bybit",
        "account",
        b'{"retCode":10010,"retMsg":"Unmatched IP","result":{}}',
        200,
        {},
        Outcome.ACCESS_DENIED,
        {"auth_problem": "ip", "block": "IP not whitelisted for the API key"},
    ),
    (
        "bybit",
        "account",
        b'{"retCode":10002,"retMsg":"invalid request, please check your server'
        b' timestamp or recv_window param","result":{}}',
        200,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "timestamp"},
    ),
    (
        "bybit",
        "account",
        b'{"retCode":0,"retMsg":"","result":{"readOnly":1,"permissions":{"Spot":[],"Wallet":[]}}}',
        200,
        {},
        Outcome.OK,
        {"permissions": "read"},
    ),
    (
        "coinbase",
        "account",
        b'{"message":"invalid signature"}',
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "signature"},
    ),
    (
        "coinbase",
        "account",
        b'{"message":"Invalid API Key"}',
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "key"},
    ),
    (
        "coinbase",
        "account",
        b'{"message":"request timestamp expired"}',
        401,
        {},
        Outcome.AUTH_ERROR,
        {"auth_problem": "timestamp"},
    ),
    (
        "coinbase",
        "account",
        b'[{"id":"a","currency":"USD","balance":"1.0"}]',
        200,
        {},
        Outcome.OK,
        {},
    ),
    (
        "kraken",
        "time",
        b'{"error":["EService:Unavailable"]}',
        200,
        {},
        Outcome.EXCHANGE_ERROR,
        {"detail": "EService:Unavailable"},
    ),
]


@pytest.mark.parametrize(
    ("venue", "endpoint", "raw", "status", "headers", "outcome", "facts"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[3]}-{c[5].value}-{i}" for i, c in enumerate(CASES)],
)
def test_interpretation(
    venue: str,
    endpoint: str,
    raw: bytes,
    status: int,
    headers: dict[str, str],
    outcome: Outcome,
    facts: dict[str, Any],
) -> None:
    profile = EXCHANGES[venue]
    target = profile.endpoint(endpoint)
    verdict = profile.interpret(target, status, headers, raw, NOW)
    assert verdict.outcome is outcome, verdict.detail
    for field, expected in facts.items():
        assert getattr(verdict, field) == expected, field


def test_details_are_truncated_and_printable() -> None:
    profile = EXCHANGES["kraken"]
    hostile = b'{"error":["EGeneral:' + b"\\u001b[31m" + b"x" * 5000 + b'"]}'
    verdict = profile.interpret(profile.endpoint("time"), 200, {}, hostile, NOW)
    assert verdict.outcome is Outcome.EXCHANGE_ERROR
    assert verdict.detail is not None
    assert len(verdict.detail) <= 200
    assert verdict.detail.isprintable()


def test_retry_after_http_date() -> None:
    profile = EXCHANGES["coinbase"]
    headers = {"Retry-After": "Tue, 14 Nov 2023 22:13:40 GMT"}  # NOW + 20 s
    verdict = profile.interpret(profile.endpoint("ticker"), 429, headers, b"{}", NOW)
    assert verdict.outcome is Outcome.RATE_LIMITED
    assert verdict.retry_after_s == pytest.approx(20.0)


def test_every_profile_has_time_status_and_market_endpoints() -> None:
    for profile in EXCHANGES.values():
        kinds = {ep.kind.value for ep in profile.endpoints}
        assert {"time", "status", "market"} <= kinds, profile.name


def symbol(venue: str) -> Endpoint:
    profile = EXCHANGES[venue]
    assert profile.symbol is not None
    return profile.symbol("BTC-USD" if venue in ("okx", "coinbase") else "BTCUSDT")


# (venue, body, the venue's status word, trading): every symbol status, from its fixture
SYMBOL_CASES = [
    ("binance", body("binance/exchange_info_symbol.json"), "TRADING", True),
    (
        "binance",
        body("binance/exchange_info_symbol.json").replace(b'"TRADING"', b'"HALT"'),
        "HALT",
        False,
    ),
    (
        "binance",
        body("binance/exchange_info_symbol.json").replace(b'"TRADING"', b'"BREAK"'),
        "BREAK",
        False,
    ),
    ("okx", body("okx/instruments_spot.json"), "live", True),
    ("okx", body("okx/instruments_spot.json").replace(b'"live"', b'"suspend"'), "suspend", False),
    ("bybit", body("bybit/instruments_info_spot.json"), "Trading", True),
    (
        "bybit",
        body("bybit/instruments_info_spot.json").replace(b'"Trading"', b'"Closed"'),
        "Closed",
        False,
    ),
    ("kraken", body("kraken/asset_pairs_xbtusd.json"), "online", True),
    (
        "kraken",
        body("kraken/asset_pairs_xbtusd.json").replace(b'"online"', b'"cancel_only"'),
        "cancel_only",
        False,
    ),
    ("coinbase", body("coinbase/product_btc_usd.json"), "online", True),
    (
        "coinbase",
        body("coinbase/product_btc_usd.json").replace(b'"online"', b'"delisted"'),
        "delisted",
        False,
    ),
    (
        "coinbase",
        body("coinbase/product_btc_usd.json").replace(
            b'"cancel_only": false', b'"cancel_only": true'
        ),
        "cancel_only",
        False,
    ),
]


@pytest.mark.parametrize(("venue", "data", "word", "trading"), SYMBOL_CASES)
def test_symbol_status(venue: str, data: bytes, word: str, trading: bool) -> None:
    verdict = EXCHANGES[venue].interpret(symbol(venue), 200, {}, data, NOW)
    assert (verdict.outcome, verdict.symbol_status, verdict.symbol_trading) == (
        Outcome.OK,
        word,
        trading,
    )
