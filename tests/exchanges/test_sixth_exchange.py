"""A sixth exchange added as ONE module: its profile, rules, signer, simulator wire, verifier
and fixture are all below. Registered (as its line in `monitor/exchanges/__init__.py` would),
it runs through settings, the plan, the simulator and interpretation with no other change;
and the contract test fails on incomplete versions of it.

Modelled loosely on Gemini's REST API v1 (pubticker, roles, X-GEMINI-* payload signing with
HMAC-SHA384 and an increasing nonce). Test material: not a supported venue."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import pydantic
import pytest

from monitor.app import Sessions
from monitor.clock import SystemClock
from monitor.exchanges import EXCHANGES
from monitor.exchanges.base import (
    BodyError,
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    Facts,
    RetryAfterHints,
    SignedAccess,
    envelope_error,
    permission_words,
)
from monitor.exchanges.signing import KeyMaterial, SignedRequest
from monitor.exchanges.sim_wire import (
    Answer,
    Incoming,
    Market,
    NoUsageHeaders,
    PlainLegalBlock,
    SimKeys,
    VenueSim,
    ms,
    same,
)
from monitor.models import Outcome, ProbeResult
from monitor.probes.body import BodyLimits
from monitor.probes.http import HttpProbe
from monitor.probes.kinds import build_plan
from monitor.settings import Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim, sim_credentials, with_credentials
from tests.exchanges import contract

# --- the venue's knowledge: what `monitor/exchanges/gemini.py` would hold -----------------

AUTH_REASONS = {
    "InvalidApiKey": "key",
    "InvalidSignature": "signature",
    "InvalidNonce": "nonce",
    "MissingRole": "permission",
}
_SYMBOLS: pydantic.TypeAdapter[list[str]] = pydantic.TypeAdapter(list[str])


class _Volume(pydantic.BaseModel):
    timestamp: int


class _Ticker(pydantic.BaseModel):
    bid: str
    ask: str
    last: str
    volume: _Volume


class _Roles(pydantic.BaseModel):
    isTrader: bool
    isFundManager: bool


class GeminiRules(RetryAfterHints):
    __slots__ = ()

    def body_error(self, status: int, payload: Any) -> BodyError | None:
        if not (isinstance(payload, dict) and payload.get("result") == "error"):
            return None
        reason = str(payload.get("reason", ""))
        detail = f"{reason} {payload.get('message', '')}".strip()
        return envelope_error(
            status,
            detail,
            rate_limited=reason == "RateLimited",
            auth_problem=AUTH_REASONS.get(reason),
        )

    def parse(self, endpoint: Endpoint, payload: Any) -> Facts:
        if endpoint.kind is EndpointKind.MARKET:
            return Facts(data_time_s=_Ticker.model_validate(payload).volume.timestamp / 1000)
        if endpoint.kind is EndpointKind.ACCOUNT:
            roles = _Roles.model_validate(payload)
            return Facts(permissions=permission_words(roles.isTrader, roles.isFundManager))
        _SYMBOLS.validate_python(payload)
        return Facts()


def payload_signature(secret: str, payload_b64: str) -> str:
    return hmac.new(secret.encode(), payload_b64.encode(), hashlib.sha384).hexdigest()


class GeminiSigner:
    """POST with an empty body; the request and nonce travel base64 in X-GEMINI-PAYLOAD."""

    __slots__ = ("_key", "_last_nonce", "_secret")

    def __init__(self, key: str, secret: str) -> None:
        self._key, self._secret, self._last_nonce = key, secret, 0

    @classmethod
    def from_keys(cls, keys: KeyMaterial) -> GeminiSigner:
        return cls(keys.key, keys.secret)

    def sign(self, method: str, base_url: str, path: str, now_ms: int) -> SignedRequest:
        self._last_nonce = max(now_ms, self._last_nonce + 1)
        payload = orjson.dumps({"request": path, "nonce": self._last_nonce})
        encoded = base64.b64encode(payload).decode()
        headers = {
            "Content-Type": "text/plain",
            "X-GEMINI-APIKEY": self._key,
            "X-GEMINI-PAYLOAD": encoded,
            "X-GEMINI-SIGNATURE": payload_signature(self._secret, encoded),
            "Cache-Control": "no-cache",
        }
        return SignedRequest("POST", base_url + path, headers)


# --- its simulator wire: what `monitor/exchanges/gemini_sim.py` would hold ----------------


def _error(status: int, reason: str, message: str, **headers: str) -> Answer:
    return Answer(status, {"result": "error", "reason": reason, "message": message}, headers)


class GeminiWire(NoUsageHeaders, PlainLegalBlock):
    __slots__ = ()

    def ok(self, kind: EndpointKind, m: Market) -> Answer:
        if kind is EndpointKind.MARKET:
            volume = {"BTC": "1920.6", "USD": "17880357.01", "timestamp": ms(m.data_s)}
            prices = {"bid": f"{m.price - 0.5:.2f}", "ask": f"{m.price + 0.5:.2f}"}
            return Answer(200, {**prices, "last": f"{m.price:.2f}", "volume": volume})
        return Answer(200, ["btcusd", "ethusd", "ethbtc"])

    def restricted_status(self, restriction: str, m: Market) -> Answer:
        return self.unavailable(m)  # no status endpoint: maintenance answers 503

    def announced_status(
        self, begin_s: float, end_s: float, ongoing: bool, m: Market
    ) -> Answer | None:
        return None  # the venue announces no windows ahead: only its current state

    def instrument(self, trading: bool, m: Market) -> Answer:
        return self.unavailable(m)  # no symbol status endpoint

    def unavailable(self, m: Market) -> Answer:
        return _error(503, "Maintenance", "The exchange is down for maintenance")

    def server_error(self, status: int, m: Market) -> Answer:
        return _error(status, "System", "An internal error occurred")

    def rate_limited(self, retry_after_s: int, m: Market) -> Answer:
        message = "Requests were made too frequently"
        return _error(429, "RateLimited", message, **{"Retry-After": str(retry_after_s)})

    def banned(self, retry_after_s: int, m: Market) -> Answer:
        return self.rate_limited(retry_after_s, m)

    def error_200(self, m: Market) -> Answer:
        return _error(200, "System", "Temporary system error")

    def account(self, endpoint: Endpoint, can_trade: bool, m: Market) -> Answer:
        role = "trader" if can_trade else "auditor"
        roles = {"isAuditor": not can_trade, "isTrader": can_trade, "isFundManager": False}
        return Answer(200, {**roles, "counterparty_id": "SIMCPTY", "role": role})

    def auth_error(self, problem: str, m: Market) -> Answer:
        reason = {v: k for k, v in AUTH_REASONS.items()}.get(problem, "InvalidApiKey")
        return _error(403 if reason == "MissingRole" else 400, reason, f"{problem} refused")


class GeminiVerifier:
    __slots__ = ("_keys", "_last_nonce")

    def __init__(self, keys: SimKeys) -> None:
        self._keys, self._last_nonce = keys, 0

    def __call__(self, req: Incoming, now_ms: int) -> str | None:
        if req.headers.get("X-GEMINI-APIKEY") != self._keys.key:
            return "key"
        encoded = req.headers.get("X-GEMINI-PAYLOAD", "")
        expected = payload_signature(self._keys.secret, encoded)
        if not same(req.headers.get("X-GEMINI-SIGNATURE", ""), expected):
            return "signature"
        payload = orjson.loads(base64.b64decode(encoded))
        if payload.get("request") != req.path_qs.split("?", 1)[0]:
            return "signature"
        if int(payload.get("nonce", 0)) <= self._last_nonce:
            return "nonce"
        self._last_nonce = int(payload["nonce"])
        return None


GEMINI = ExchangeProfile(
    name="gemini",
    base_url="https://api.gemini.com",
    endpoints=(
        Endpoint("symbols", "/v1/symbols", EndpointKind.PING),
        Endpoint("ticker", "/v1/pubticker/btcusd", EndpointKind.MARKET),
    ),
    rules=GeminiRules(),
    budget_per_min=120,
    published_limit="public API: 120 requests per minute",
    staleness="ticker volume.timestamp (ms) is the data timestamp",
    sim=VenueSim(GeminiWire(), GeminiVerifier),
    signed=(
        SignedAccess(
            "hmac",
            Endpoint("account", "/v1/roles", EndpointKind.ACCOUNT, method="POST"),
            GeminiSigner.from_keys,
        ),
    ),
)

# --- its fixture (shaped as the venue documents its ticker) -----------------------------------

TICKER = (
    b'{"bid":"977.59","ask":"977.35","volume":{"BTC":"2210.505328803",'
    b'"USD":"2135477.463379586263","timestamp":1483018200000},"last":"977.20"}'
)

# --- the tests -------------------------------------------------------------------------------


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[ExchangeProfile]:
    """The sixth exchange in the registry, as its one line in exchanges/__init__.py would."""
    monkeypatch.setitem(EXCHANGES, GEMINI.name, GEMINI)
    yield GEMINI


@pytest.fixture
async def sixth_sim(registered: ExchangeProfile) -> AsyncIterator[SimCluster]:
    cluster = SimCluster(SystemClock(), venues=(registered.name,))
    await cluster.start()
    yield cluster
    await cluster.stop()


def test_the_contract_holds() -> None:
    assert contract.problems(GEMINI) == []


class _Without:
    """A wire missing one method."""

    def __init__(self, wire: object, name: str) -> None:
        self._wire, self._name = wire, name

    def __getattr__(self, name: str) -> Any:
        if name == self._name:
            raise AttributeError(name)
        return getattr(self._wire, name)


INCOMPLETE = {
    "no signed endpoint": (dataclasses.replace(GEMINI, signed=()), "no signed account"),
    "wire without banned()": (
        dataclasses.replace(
            GEMINI,
            sim=VenueSim(_Without(GeminiWire(), "banned"), GeminiVerifier),
        ),
        "sim wire lacks banned()",
    ),
    "signer the venue refuses": (
        dataclasses.replace(
            GEMINI,
            signed=(
                dataclasses.replace(
                    GEMINI.signed[0], signer=lambda k: GeminiSigner(k.key, k.secret + "x")
                ),
            ),
        ),
        "the simulator refuses our signature",
    ),
    "rules that cannot read the wire": (
        dataclasses.replace(GEMINI, rules=EXCHANGES["binance"].rules),
        "sim ok on ticker: read as bad_payload",
    ),
    "a name settings cannot hold": (dataclasses.replace(GEMINI, name="Gemini!"), "name"),
}


@pytest.mark.parametrize("case", INCOMPLETE)
def test_the_contract_fails_on_an_incomplete_member(case: str) -> None:
    profile, expected = INCOMPLETE[case]
    found = contract.problems(profile)
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(
    ("endpoint", "status", "body", "outcome"),
    [
        ("ticker", 200, TICKER, Outcome.OK),
        (
            "ticker",
            429,
            b'{"result":"error","reason":"RateLimited","message":"slow"}',
            Outcome.RATE_LIMITED,
        ),
        (
            "account",
            400,
            b'{"result":"error","reason":"InvalidNonce","message":"n"}',
            Outcome.AUTH_ERROR,
        ),
        ("symbols", 200, b'{"symbols": "not a list"}', Outcome.BAD_PAYLOAD),
    ],
)
def test_interpretation_of_fixtures(
    endpoint: str, status: int, body: bytes, outcome: Outcome
) -> None:
    verdict = GEMINI.interpret(GEMINI.endpoint(endpoint), status, {}, body, 1483018201.0)
    assert verdict.outcome is outcome, verdict.detail
    if endpoint == "ticker" and outcome is Outcome.OK:
        assert verdict.data_time_s == 1483018200.0


async def probe_venue(
    sim: SimCluster, http: Sessions, *, signed: bool = True
) -> dict[str, ProbeResult]:
    settings = point_at_sim(Settings(), sim.urls)
    if signed:
        creds = sim_credentials(sim.keys, GEMINI.name, sim.urls[GEMINI.name])
        settings = with_credentials(settings, {GEMINI.name: creds})
    plan = build_plan(settings)
    probes = [HttpProbe(p, http.warm, SystemClock(), BodyLimits(1 << 20)) for p in plan.probes]
    return {p.plan.endpoint_id: await p.run(0.0, 0.0, 0.0) for p in probes}


async def test_plan_simulator_and_interpretation_with_no_other_change(
    sixth_sim: SimCluster, http: Sessions
) -> None:
    assert Settings(enabled_exchanges=["gemini"]).enabled_exchanges == ["gemini"]
    healthy = await probe_venue(sixth_sim, http)
    assert set(healthy) == {"gemini.symbols", "gemini.ticker", "gemini.account"}
    assert all(r.outcome is Outcome.OK for r in healthy.values()), healthy
    assert healthy["gemini.account"].key_permissions == "read"
    assert healthy["gemini.ticker"].data_time_s is not None

    await sixth_sim.apply(ChaosRule(venue="gemini", kind=ChaosKind.RATE_LIMIT, retry_after_s=30))
    limited = await probe_venue(sixth_sim, http, signed=False)
    assert {r.outcome for r in limited.values()} == {Outcome.RATE_LIMITED}
    assert limited["gemini.ticker"].retry_after_s == 30

    await sixth_sim.clear()
    await sixth_sim.apply(
        ChaosRule(venue="gemini", endpoint="account", kind=ChaosKind.KEY_CAN_TRADE)
    )
    trading = await probe_venue(sixth_sim, http)
    assert trading["gemini.account"].key_permissions == "read,trade"


async def test_a_wrong_secret_is_refused_by_its_simulator(
    sixth_sim: SimCluster, http: Sessions
) -> None:
    creds = sim_credentials(sixth_sim.keys, "gemini", sixth_sim.urls["gemini"])
    wrong = creds.model_copy(update={"api_secret": pydantic.SecretStr("not-the-secret")})
    settings = with_credentials(point_at_sim(Settings(), sixth_sim.urls), {"gemini": wrong})
    (plan,) = [p for p in build_plan(settings).probes if p.endpoint == "account"]
    result = await HttpProbe(plan, http.warm, SystemClock(), BodyLimits(1 << 20)).run(0.0, 0.0, 0.0)
    assert result.outcome is Outcome.AUTH_ERROR and result.auth_problem == "signature"
