"""Each venue's wire format, modelled on tests/fixtures (official docs and recorded traffic).

Healthy, rate-limit and error bodies follow the fixtures. The 503 bodies sent to non-status
endpoints during maintenance are modelled (venues do not document them) and say "maintenance".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Protocol

from monitor.exchanges import EndpointKind


@dataclasses.dataclass(frozen=True, slots=True)
class Market:
    """What the simulated venue knows at the moment it answers."""

    server_s: float  # its own clock (drift included)
    data_s: float  # market data timestamp
    seq: int  # update id / trade id
    price: float


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def iso(ts: float) -> str:
    return (
        dt.datetime.fromtimestamp(ts, dt.UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


def ms(ts: float) -> int:
    return int(ts * 1000)


class VenueWire(Protocol):
    def ok(self, kind: EndpointKind, m: Market) -> Answer: ...

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        """The status endpoint's body during `maintenance` or `cancel_only`."""
        ...

    def unavailable(self, m: Market) -> Answer: ...

    def server_error(self, status: int, m: Market) -> Answer: ...

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer: ...

    def banned(self, retry_after_s: int, m: Market) -> Answer: ...

    def error_200(self, m: Market) -> Answer: ...

    def account(self, can_trade: bool, m: Market) -> Answer:
        """The signed account endpoint's success body, showing the key's permissions."""
        ...

    def auth_error(self, problem: str, m: Market) -> Answer:
        """How the venue refuses a signed request for `problem`."""
        ...


def _book(m: Market) -> tuple[list[list[str]], list[list[str]]]:
    return [[f"{m.price - 0.5:.2f}", "1.25000000"]], [[f"{m.price + 0.5:.2f}", "0.80000000"]]


class BinanceWire:
    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        bids, asks = _book(m)
        body: Any = {
            EndpointKind.PING: {},
            EndpointKind.TIME: {"serverTime": ms(m.server_s)},
            EndpointKind.STATUS: {"status": 0, "msg": "normal"},
            EndpointKind.MARKET: {"lastUpdateId": m.seq, "bids": bids, "asks": asks},
        }[kind]
        return Answer(200, body)

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        return Answer(200, {"status": 1, "msg": "system_maintenance"})

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"code": -1001, "msg": "System is under maintenance."})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(
            status, {"code": -1001, "msg": "Internal error; unable to process your request."}
        )

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        msg = "Too much request weight used; current limit is 6000 request weight per 1 MINUTE."
        return Answer(429, {"code": -1003, "msg": msg}, {"Retry-After": str(retry_after_s)})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        until = ms(m.server_s + retry_after_s)
        msg = (
            f"Way too much request weight used; IP banned until {until}."
            " Please use the websocket for live updates to avoid bans."
        )
        return Answer(418, {"code": -1003, "msg": msg}, {"Retry-After": str(retry_after_s)})

    def error_200(self, m: Market) -> Answer:
        return Answer(
            200, {"code": -1000, "msg": "An unknown error occurred while processing the request."}
        )

    def account(self, can_trade: bool, m: Market) -> Answer:
        flags = {
            "ipRestrict": True,
            "createTime": ms(m.server_s) - 86_400_000,
            "enableReading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableSpotAndMarginTrading": can_trade,
        }
        return Answer(200, flags)

    def auth_error(self, problem: str, m: Market) -> Answer:
        if problem == "signature":
            return Answer(400, {"code": -1022, "msg": "Signature for this request is not valid."})
        if problem == "timestamp":
            msg = "Timestamp for this request is outside of the recvWindow."
            return Answer(400, {"code": -1021, "msg": msg})
        return Answer(
            401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
        )


class OkxWire:
    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            data: list[Any] = [{"ts": str(ms(m.server_s))}]
        elif kind is EndpointKind.STATUS:
            data = []
        else:
            data = [
                {
                    "instType": "SPOT",
                    "instId": "BTC-USDT",
                    "last": f"{m.price:.1f}",
                    "lastSz": "0.01",
                    "askPx": f"{m.price + 0.1:.1f}",
                    "askSz": "1.2",
                    "bidPx": f"{m.price - 0.1:.1f}",
                    "bidSz": "0.7",
                    "open24h": "64000",
                    "high24h": "66000",
                    "low24h": "63000",
                    "volCcy24h": "2222",
                    "vol24h": "2222",
                    "sodUtc0": "64500",
                    "sodUtc8": "64600",
                    "ts": str(ms(m.data_s)),
                }
            ]
        return Answer(200, {"code": "0", "msg": "", "data": data})

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        window = {
            "begin": str(ms(m.server_s - 60)),
            "end": str(ms(m.server_s + 3600)),
            "href": "",
            "preOpenBegin": "",
            "scheDesc": "",
            "serviceType": "8",
            "state": "ongoing",
            "maintType": "1",
            "env": "1",
            "system": "unified",
            "title": "Trading account system upgrade",
        }
        return Answer(200, {"code": "0", "msg": "", "data": [window]})

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"code": "50001", "msg": "Service under maintenance", "data": []})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(
            status, {"code": "50001", "msg": "Service temporarily unavailable", "data": []}
        )

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(429, {"msg": "Too Many Requests", "code": "50011"})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return self.rate_limited(retry_after_s, m)

    def error_200(self, m: Market) -> Answer:
        body = {"code": "50013", "msg": "Systems are busy. Please try again later.", "data": []}
        return Answer(200, body)

    def account(self, can_trade: bool, m: Market) -> Answer:
        perm = "read_only,trade" if can_trade else "read_only"
        data = [
            {
                "uid": "44705892343619584",
                "acctLv": "2",
                "posMode": "long_short_mode",
                "perm": perm,
                "level": "Lv1",
                "ip": "127.0.0.1",
            }
        ]
        return Answer(200, {"code": "0", "msg": "", "data": data})

    def auth_error(self, problem: str, m: Market) -> Answer:
        code, msg = {
            "key": ("50111", "Invalid OK-ACCESS-KEY."),
            "signature": ("50113", "Invalid Sign."),
            "ip": ("50110", "Your IP is not included in your API key's IP whitelist."),
            "permission": ("50120", "API key doesn't have permission."),
            "timestamp": ("50102", "Timestamp request expired."),
        }.get(problem, ("50111", "Invalid OK-ACCESS-KEY."))
        return Answer(401, {"code": code, "msg": msg, "data": []})


def _bybit(m: Market, result: Any, code: int = 0, msg: str = "OK") -> dict[str, Any]:
    return {
        "retCode": code,
        "retMsg": msg,
        "result": result,
        "retExtInfo": {},
        "time": ms(m.server_s),
    }


class BybitWire:
    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            nanos = int(m.server_s * 1e9)
            result: Any = {"timeSecond": str(nanos // 10**9), "timeNano": str(nanos)}
        elif kind is EndpointKind.STATUS:
            result = {"list": []}
        else:
            bids, asks = _book(m)
            result = {
                "s": "BTCUSDT",
                "a": asks,
                "b": bids,
                "ts": ms(m.data_s),
                "u": m.seq,
                "seq": m.seq * 7,
                "cts": ms(m.data_s) - 100,
            }
        return Answer(200, _bybit(m, result))

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        item = {
            "id": "4d95b2a0-587f-11f0-bcc9-56f28c94d6ea",
            "title": "System upgrade",
            "state": "ongoing",
            "begin": str(ms(m.server_s - 60)),
            "end": str(ms(m.server_s + 3600)),
            "href": "",
            "serviceTypes": [1, 2, 3, 4, 5],
            "product": [1, 2],
            "uidSuffix": [],
            "maintainType": 1,
            "env": 1,
        }
        return Answer(200, _bybit(m, {"list": [item]}, msg=""))

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, _bybit(m, {}, 10016, "Service under maintenance"))

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(status, _bybit(m, {}, 10016, "Internal server error."))

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        headers = {
            "X-Bapi-Limit": "600",
            "X-Bapi-Limit-Status": "0",
            "X-Bapi-Limit-Reset-Timestamp": str(ms(m.server_s + retry_after_s)),
        }
        return Answer(200, _bybit(m, {}, 10006, "Too many visits"), headers)

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(403, "access too frequent")

    def error_200(self, m: Market) -> Answer:
        return Answer(200, _bybit(m, {}, 10016, "Internal server error."))

    def account(self, can_trade: bool, m: Market) -> Answer:
        permissions = {
            "Spot": ["SpotTrade"] if can_trade else [],
            "Wallet": [],
            "ContractTrade": [],
            "Options": [],
            "Derivatives": [],
        }
        result = {
            "id": "13770661",
            "note": "monitor",
            "readOnly": 0 if can_trade else 1,
            "permissions": permissions,
            "ips": ["*"],
            "type": 1,
        }
        return Answer(200, _bybit(m, result))

    def auth_error(self, problem: str, m: Market) -> Answer:
        code, msg = {
            "key": (10003, "API key is invalid."),
            "signature": (10004, "error sign!"),
            "ip": (10010, "Unmatched IP, please check your API key's bound IP addresses."),
            "permission": (10005, "Permission denied, please check your API key permissions."),
            "timestamp": (
                10002,
                "invalid request, please check your server timestamp or recv_window param",
            ),
        }.get(problem, (10003, "API key is invalid."))
        return Answer(401 if code == 10003 else 200, _bybit(m, {}, code, msg))


class CoinbaseWire:
    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            return Answer(200, {"iso": iso(m.server_s), "epoch": round(m.server_s, 3)})
        if kind is EndpointKind.STATUS:
            return Answer(200, _product())
        return Answer(
            200,
            {
                "trade_id": m.seq,
                "price": f"{m.price:.2f}",
                "size": "0.0100",
                "time": iso(m.data_s),
                "bid": f"{m.price - 0.01:.2f}",
                "ask": f"{m.price + 0.01:.2f}",
                "volume": "12345.6789",
            },
        )

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        if restriction == "cancel_only":
            return Answer(200, _product(cancel_only=True))
        return Answer(
            200, _product(status="offline", status_message="maintenance", trading_disabled=True)
        )

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"message": "Service under maintenance"})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(status, {"message": "Internal server error"})

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(429, {"message": "Public rate limit exceeded"})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return self.rate_limited(retry_after_s, m)

    def error_200(self, m: Market) -> Answer:
        return Answer(200, {"message": "Internal server error"})

    def account(self, can_trade: bool, m: Market) -> Answer:
        return Answer(
            200,
            [
                {
                    "id": "7d0f7d8e-dd34-4d9c-a846-06f431c381ba",
                    "currency": "USD",
                    "balance": "1000.00",
                    "hold": "0.00",
                    "available": "1000.00",
                    "profile_id": "8058d771-2d88-4f0f-ab6e-299c153d4308",
                    "trading_enabled": can_trade,
                }
            ],
        )

    def advanced_account(self, can_trade: bool) -> Answer:
        return Answer(
            200,
            {
                "can_view": True,
                "can_trade": can_trade,
                "can_transfer": False,
                "portfolio_uuid": "8058d771-2d88-4f0f-ab6e-299c153d4308",
                "portfolio_type": "DEFAULT",
            },
        )

    def auth_error(self, problem: str, m: Market) -> Answer:
        if problem == "permission":
            return Answer(403, {"message": "Forbidden"})
        message = {"signature": "invalid signature", "timestamp": "request timestamp expired"}
        return Answer(401, {"message": message.get(problem, "Invalid API Key")})


def _product(**changes: Any) -> dict[str, Any]:
    product = {
        "id": "BTC-USD",
        "base_currency": "BTC",
        "quote_currency": "USD",
        "quote_increment": "0.01",
        "base_increment": "0.00000001",
        "display_name": "BTC-USD",
        "min_market_funds": "1",
        "margin_enabled": False,
        "post_only": False,
        "limit_only": False,
        "cancel_only": False,
        "status": "online",
        "status_message": "",
        "auction_mode": False,
        "trading_disabled": False,
    }
    product.update(changes)
    return product


class KrakenWire:
    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.TIME:
            now = int(m.server_s)
            rfc = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%a, %d %b %y %H:%M:%S +0000")
            result: Any = {"unixtime": now, "rfc1123": rfc}
        elif kind is EndpointKind.STATUS:
            result = {"status": "online", "timestamp": iso(int(m.server_s))}
        else:
            stamp = int(m.data_s)
            result = {
                "XXBTZUSD": {
                    "asks": [[f"{m.price + 0.1:.1f}", "1.500", stamp]],
                    "bids": [[f"{m.price - 0.1:.1f}", "2.000", stamp - 1]],
                }
            }
        return Answer(200, {"error": [], "result": result})

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        result = {"status": restriction, "timestamp": iso(int(m.server_s))}
        return Answer(200, {"error": [], "result": result})

    def unavailable(self, m: Market) -> Answer:
        return Answer(503, {"error": ["EService:Unavailable: maintenance"]})

    def server_error(self, status: int, m: Market) -> Answer:
        return Answer(status, {"error": ["EService:Busy"]})

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(200, {"error": ["EAPI:Rate limit exceeded"]})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return Answer(200, {"error": ["EGeneral:Temporary lockout"]})

    def error_200(self, m: Market) -> Answer:
        return Answer(200, {"error": ["EService:Unavailable"], "result": {}})

    def account(self, can_trade: bool, m: Market) -> Answer:
        return Answer(200, {"error": [], "result": {"ZUSD": "1000.0000", "XXBT": "0.5000000000"}})

    def auth_error(self, problem: str, m: Market) -> Answer:
        error = {
            "signature": "EAPI:Invalid signature",
            "nonce": "EAPI:Invalid nonce",
            "timestamp": "EAPI:Invalid nonce",
            "permission": "EGeneral:Permission denied",
            "ip": "EGeneral:Permission denied",
        }.get(problem, "EAPI:Invalid key")
        return Answer(200, {"error": [error]})


WIRES: dict[str, VenueWire] = {
    "binance": BinanceWire(),
    "okx": OkxWire(),
    "bybit": BybitWire(),
    "coinbase": CoinbaseWire(),
    "kraken": KrakenWire(),
}
