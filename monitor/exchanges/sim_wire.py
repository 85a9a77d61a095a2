"""What a venue's simulator wire is: the bodies its simulated server sends, and how it checks
a signed request. Each venue's wire lives beside its module (`<venue>_sim.py`), modelled on
tests/fixtures (official docs and recorded traffic), and its profile carries it (`sim`).

`Verifier` returns the problem a real venue would report (key, signature, timestamp, nonce)
or None. The keys are test material for the simulator only."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hmac
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from monitor.exchanges.base import Endpoint, EndpointKind


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


def book(m: Market) -> tuple[list[list[str]], list[list[str]]]:
    """One bid and one ask level around the price, as `[price, size]` strings."""
    return [[f"{m.price - 0.5:.2f}", "1.25000000"]], [[f"{m.price + 0.5:.2f}", "0.80000000"]]


class VenueWire(Protocol):
    """The bodies a venue sends. The 503 bodies sent to non-status endpoints during
    maintenance are modelled (venues do not document them) and say "maintenance"."""

    def ok(self, kind: EndpointKind, m: Market) -> Answer: ...

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        """The status endpoint's body during `maintenance` or `cancel_only`."""
        ...

    def announced_status(
        self, begin_s: float, end_s: float, ongoing: bool, m: Market
    ) -> Answer | None:
        """The status endpoint's body announcing a maintenance window (scheduled, or ongoing);
        None where the venue publishes no windows ahead of time."""
        ...

    def instrument(self, trading: bool, m: Market) -> Answer:
        """A symbol status endpoint's body: the symbol trading, or halted."""
        ...

    def unavailable(self, m: Market) -> Answer: ...

    def server_error(self, status: int, m: Market) -> Answer: ...

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer: ...

    def banned(self, retry_after_s: int, m: Market) -> Answer: ...

    def error_200(self, m: Market) -> Answer: ...

    def account(self, endpoint: Endpoint, can_trade: bool, m: Market) -> Answer:
        """A signed account endpoint's success body, showing the key's permissions."""
        ...

    def auth_error(self, problem: str, m: Market) -> Answer:
        """How the venue refuses a signed request for `problem`."""
        ...

    def usage_headers(self, weight_used_1m: int) -> dict[str, str]:
        """Headers reporting the request weight used this minute (most venues send none)."""
        ...

    def restricted_location(self, m: Market) -> Answer:
        """HTTP 451: the venue refuses the client's location."""
        ...


class NoUsageHeaders:
    __slots__ = ()

    def usage_headers(self, weight_used_1m: int) -> dict[str, str]:
        return {}


class PlainLegalBlock:
    """For venues that document no 451 body: the status's own reason phrase."""

    __slots__ = ()

    def restricted_location(self, m: Market) -> Answer:
        return Answer(451, "Unavailable For Legal Reasons")


@dataclasses.dataclass(frozen=True, slots=True)
class SimKeys:
    """The simulator's one key set; `ec_private_pem` / `ec_public_pem` for JWT schemes."""

    key: str
    secret: str  # base64, as the venues that want one issue it
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


Verifier = Callable[[Incoming, int], str | None]  # (request, server time in ms) -> problem


@dataclasses.dataclass(frozen=True, slots=True)
class VenueSim:
    """A venue's simulator: its wire, and a factory of its (possibly stateful) verifier."""

    wire: VenueWire
    verifier: Callable[[SimKeys], Verifier]


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(a.encode(), b.encode())
