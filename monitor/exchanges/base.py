"""What every venue profile is: its endpoints and a pure interpretation of their answers.

`interpret()` runs the steps every venue shares (decode, rate-limit statuses, venue error
envelope, HTTP errors, success shape) and asks the venue's `VenueRules` only what differs.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import pydantic

from monitor.exchanges.blocks import access_block, redirect_target
from monitor.exchanges.signing import SignerFactory
from monitor.models import Outcome
from monitor.retry import parse_retry_after

if TYPE_CHECKING:
    from monitor.exchanges.sim_wire import VenueSim

DETAIL_MAX_CHARS = 200
BARE_429_BACKOFF_S = 5.0  # a 429 with neither Retry-After nor a venue code: start here
NOT_JSON: Any = object()  # what body_error() receives when the body is not JSON
JSON_OBJECT: pydantic.TypeAdapter[dict[str, Any]] = pydantic.TypeAdapter(dict[str, Any])


class EndpointKind(enum.StrEnum):
    PING = "ping"
    TIME = "time"
    STATUS = "status"
    MARKET = "market"
    HTTP = "http"  # an arbitrary target from config
    ACCOUNT = "account"  # a signed, read-only account endpoint
    CONTROL = "control"  # the control target: a TCP connect witnessing our own network
    SYMBOL = "symbol"  # one configured symbol's trading status


@dataclasses.dataclass(frozen=True, slots=True)
class Endpoint:
    """A probed request. `path` includes the query string; `weight` counts against the
    venue's request budget as the venue counts it."""

    name: str
    path: str
    kind: EndpointKind
    method: str = "GET"
    weight: int = 1


@dataclasses.dataclass(frozen=True, slots=True)
class Facts:
    """What a successful (or venue-flagged) body says, beyond its outcome."""

    outcome: Outcome = Outcome.OK
    detail: str | None = None
    server_time_s: float | None = None
    time_resolution_s: float = 0.0  # e.g. Kraken's server time has 1 s resolution
    data_time_s: float | None = None
    data_seq: str | None = None
    venue_status: str | None = None
    permissions: str | None = None  # a signed endpoint's key permissions: "read,trade"
    maintenance_begin_s: float | None = None  # an announced maintenance window (wall clock)
    maintenance_end_s: float | None = None
    symbol_status: str | None = None  # a symbol endpoint: the symbol's status word
    symbol_trading: bool | None = None  # and whether that word means it trades


@dataclasses.dataclass(frozen=True, slots=True)
class Interpretation:
    """The profile's verdict on one HTTP answer."""

    outcome: Outcome
    detail: str | None = None
    server_time_s: float | None = None
    time_resolution_s: float = 0.0
    data_time_s: float | None = None
    data_seq: str | None = None
    venue_status: str | None = None
    rate_used_ratio: float | None = None
    retry_after_s: float | None = None
    ban_until_s: float | None = None
    auth_problem: str | None = None
    permissions: str | None = None
    maintenance_begin_s: float | None = None
    maintenance_end_s: float | None = None
    symbol_status: str | None = None
    symbol_trading: bool | None = None
    block: str | None = None  # who refuses this host (ACCESS_DENIED): "CloudFront geo-block"
    backoff_s: float | None = None  # the venue's first back-off for this answer


@dataclasses.dataclass(frozen=True, slots=True)
class HeaderHints:
    rate_used_ratio: float | None = None
    retry_after_s: float | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class BodyError:
    """A venue error found inside a JSON body (whatever the HTTP status)."""

    outcome: Outcome
    detail: str
    ban_until_s: float | None = None
    retry_after_s: float | None = None
    auth_problem: str | None = None
    block: str | None = None
    backoff_s: float | None = None  # where the venue gives no Retry-After: start from this


IP_NOT_ALLOWED = "IP not whitelisted for the API key"


class VenueRules(Protocol):
    """The venue-specific part of interpretation. Implementations are pure."""

    def header_hints(self, headers: Mapping[str, str], now_s: float) -> HeaderHints: ...

    def body_error(self, status: int, payload: Any) -> BodyError | None:
        """A venue error in the body (or, for a non-JSON body `NOT_JSON`, in the status)."""
        ...

    def parse(self, endpoint: Endpoint, payload: Any) -> Facts:
        """Facts from a success body; raises pydantic.ValidationError on a wrong shape."""
        ...


class RetryAfterHints:
    """Header hints for venues whose only header of interest is Retry-After."""

    __slots__ = ()

    def header_hints(self, headers: Mapping[str, str], now_s: float) -> HeaderHints:
        return HeaderHints(None, parse_retry_after(headers.get("Retry-After"), now_s))


def envelope_error(
    status: int,
    detail: str,
    *,
    rate_limited: bool,
    auth_problem: str | None = None,
    backoff_s: float | None = None,
) -> BodyError:
    """The verdict on a venue error code found in a body, whatever the HTTP status. An IP
    the key does not allow is access denied from this host, not a bad key."""
    if auth_problem == "ip":
        return BodyError(Outcome.ACCESS_DENIED, detail, auth_problem="ip", block=IP_NOT_ALLOWED)
    if auth_problem is not None:
        return BodyError(Outcome.AUTH_ERROR, detail, auth_problem=auth_problem)
    if rate_limited:
        return BodyError(Outcome.RATE_LIMITED, detail, backoff_s=backoff_s)
    if status >= 400:
        return BodyError(Outcome.HTTP_ERROR, f"HTTP {status} {detail}", backoff_s=backoff_s)
    return BodyError(Outcome.EXCHANGE_ERROR, detail, backoff_s=backoff_s)


@dataclasses.dataclass(frozen=True, slots=True)
class SignedAccess:
    """A venue's signed, read-only probe for one credential scheme."""

    scheme: str  # as `Credentials.scheme` names it: "hmac" | "jwt"
    endpoint: Endpoint
    signer: SignerFactory = dataclasses.field(repr=False)
    base_url: str | None = None  # the signed endpoint's host, when not the venue's


@dataclasses.dataclass(frozen=True, slots=True)
class ExchangeProfile:
    """A venue: where it lives, what we probe, how to read its answers, how to sign its
    account probe, and how to simulate it. Everything venue-specific hangs off this record:
    no other module branches on a venue's name."""

    name: str
    base_url: str
    endpoints: tuple[Endpoint, ...]
    rules: VenueRules
    budget_per_min: int  # our default request budget, well below the venue's published limit
    published_limit: str  # for docs and the budget rule
    staleness: str  # how stale market data is detected on this venue
    sim: VenueSim  # the simulator's wire format and signature verifier
    # The signed read-only endpoints, one per credential scheme; the first is the default.
    signed: tuple[SignedAccess, ...] = ()
    # The receive window: how far (ms) a signed request's timestamp may run ahead of / behind
    # the server's clock; None where the venue signs with a nonce instead of a timestamp.
    signing_window_ms: tuple[float, float] | None = None
    # Whether the behind side is the request's own recvWindow parameter (Binance, Bybit): then
    # the configured `credentials.recv_window_ms` is the window the venue applies.
    recv_window_param: bool = False
    # The request reading one configured symbol's trading status (MONITOR_EXCHANGES__*__SYMBOLS).
    symbol: Callable[[str], Endpoint] | None = None
    # Venue error codes that mean "request timestamp refused" (a severity floor in triage).
    timestamp_errors: tuple[str, ...] = ()

    def endpoint(self, name: str) -> Endpoint:
        for ep in (*self.endpoints, *(access.endpoint for access in self.signed)):
            if ep.name == name:
                return ep
        raise KeyError(name)

    def receive_window_ms(self, recv_window_ms: int | None) -> tuple[float, float] | None:
        """The window in force, given the recvWindow our signed requests send (if any)."""
        window = self.signing_window_ms
        if window is None or recv_window_ms is None or not self.recv_window_param:
            return window
        return window[0], float(recv_window_ms)

    def access(self, scheme: str) -> SignedAccess | None:
        """The signed probe for credentials of `scheme`, or None if the venue has none."""
        return next((a for a in self.signed if a.scheme == scheme), None)

    def interpret(
        self, endpoint: Endpoint, status: int, headers: Mapping[str, str], body: bytes, now_s: float
    ) -> Interpretation:
        return interpret(self.rules, endpoint, status, headers, body, now_s)


def codes_for(codes: Mapping[Any, str], problem: str) -> tuple[str, ...]:
    """The venue error codes of an `AUTH_CODES` table that report `problem`."""
    return tuple(str(code) for code, found in codes.items() if found == problem)


class MaintenanceWindow(pydantic.BaseModel):
    """OKX and Bybit publish maintenance as a list of windows, each with a `state` and its
    `begin` / `end` in ms (strings)."""

    state: str
    title: str = ""
    begin: str = ""
    end: str = ""

    def window_facts(self, outcome: Outcome, status: str) -> Facts:
        begin, end = _ms_or_none(self.begin), _ms_or_none(self.end)
        title = truncate(self.title) if self.title else None
        return Facts(
            outcome, title, venue_status=status, maintenance_begin_s=begin, maintenance_end_s=end
        )


def _ms_or_none(text: str) -> float | None:
    return int(text) / 1000 if text.isdigit() else None


def maintenance_facts(windows: list[MaintenanceWindow]) -> Facts:
    """The ongoing window (maintenance now), else the next announced one (scheduled)."""
    ongoing = [w for w in windows if w.state == "ongoing"]
    if ongoing:
        facts = ongoing[0].window_facts(Outcome.MAINTENANCE, "maintenance")
        return dataclasses.replace(facts, detail=facts.detail or "maintenance")
    ahead = [w for w in windows if w.state in ("scheduled", "pre_open")]
    if ahead:
        return min(ahead, key=lambda w: w.begin.zfill(16)).window_facts(Outcome.OK, "scheduled")
    return Facts(venue_status="normal")


def symbol_endpoint(symbol: str, path: str, weight: int = 1) -> Endpoint:
    return Endpoint(f"symbol:{symbol}", path, EndpointKind.SYMBOL, weight=weight)


def symbol_facts(word: str, trading: bool) -> Facts:
    """A symbol's status in the venue's own word, and whether that word means it trades."""
    return Facts(symbol_status=truncate(word, 40), symbol_trading=trading)


def permission_words(can_trade: bool, can_withdraw: bool) -> str:
    return ",".join(["read"] + ["trade"] * can_trade + ["withdraw"] * can_withdraw)


def truncate(text: str, limit: int = DETAIL_MAX_CHARS) -> str:
    """Shorten untrusted text for details; control characters become spaces."""
    clean = "".join(ch if ch.isprintable() else " " for ch in text[: limit + 1])
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def is_maintenance_text(body: bytes) -> bool:
    return b"maint" in body[:4096].lower()


def _http_failure(status: int, hints: HeaderHints) -> Interpretation:
    if status == 429:
        return Interpretation(
            Outcome.RATE_LIMITED,
            "HTTP 429",
            rate_used_ratio=hints.rate_used_ratio,
            retry_after_s=hints.retry_after_s,
            backoff_s=BARE_429_BACKOFF_S,
        )
    return Interpretation(
        Outcome.HTTP_ERROR, f"HTTP {status}", rate_used_ratio=hints.rate_used_ratio
    )


def _shape_error(exc: pydantic.ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "unexpected shape"
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return truncate(f"unexpected shape at {where}: {first['msg']}")


def interpret(
    rules: VenueRules,
    endpoint: Endpoint,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now_s: float,
) -> Interpretation:
    """The shared decision order: maintenance 503, then access blocks (CDN pages, 451),
    then the venue's own error codes (they beat HTTP statuses), then redirects and HTTP
    statuses, then the success body's shape."""
    hints = rules.header_hints(headers, now_s)
    if status == 503 and is_maintenance_text(body):
        return Interpretation(Outcome.MAINTENANCE, "HTTP 503 maintenance")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = NOT_JSON
    err = rules.body_error(status, payload)
    block = access_block(status, headers, body, err)
    if block is not None:
        detail = truncate(f"HTTP {status} {block.words}")
        return Interpretation(Outcome.ACCESS_DENIED, detail, block=block.name)
    if err is not None:
        retry_after = err.retry_after_s if err.retry_after_s is not None else hints.retry_after_s
        return Interpretation(
            err.outcome,
            truncate(err.detail),
            rate_used_ratio=hints.rate_used_ratio,
            retry_after_s=retry_after,
            ban_until_s=err.ban_until_s,
            auth_problem=err.auth_problem,
            block=err.block,
            backoff_s=err.backoff_s,
        )
    redirect = redirect_target(status, headers)
    if redirect is not None:
        return Interpretation(Outcome.HTTP_ERROR, truncate(redirect))
    if status >= 400:
        return _http_failure(status, hints)
    if payload is NOT_JSON:
        return Interpretation(Outcome.BAD_PAYLOAD, "invalid JSON")
    try:
        facts = rules.parse(endpoint, payload)
    except pydantic.ValidationError as exc:
        return Interpretation(Outcome.BAD_PAYLOAD, _shape_error(exc))
    return Interpretation(
        facts.outcome,
        facts.detail,
        server_time_s=facts.server_time_s,
        time_resolution_s=facts.time_resolution_s,
        data_time_s=facts.data_time_s,
        data_seq=facts.data_seq,
        venue_status=facts.venue_status,
        rate_used_ratio=hints.rate_used_ratio,
        retry_after_s=hints.retry_after_s,
        permissions=facts.permissions,
        maintenance_begin_s=facts.maintenance_begin_s,
        maintenance_end_s=facts.maintenance_end_s,
        symbol_status=facts.symbol_status,
        symbol_trading=facts.symbol_trading,
    )
