"""Signed probes against the simulator, which verifies signatures as each venue does."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from monitor.app import Sessions
from monitor.clock import SystemClock
from monitor.exchanges import EXCHANGES
from monitor.models import Outcome, ProbeResult
from monitor.probes.body import BodyLimits
from monitor.probes.feedback import VenueFeedback
from monitor.probes.http import HttpProbe
from monitor.probes.kinds import build_plan
from monitor.settings import Credentials, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim, sim_credentials, with_credentials

VENUES = tuple(EXCHANGES)
# Venues that sign with a timestamp (the rest sign with a nonce).
TIMESTAMPED = [name for name, profile in EXCHANGES.items() if profile.signing_window_ms]


def measured(offsets: dict[str, float]) -> VenueFeedback:
    """Feedback as the venues' time endpoints would leave it, offsets in seconds."""
    feedback = VenueFeedback()
    for venue, offset in offsets.items():
        time = ProbeResult(f"{venue}.time", venue, "time", Outcome.OK, 0, 0, 0.01, 0, 0)
        feedback.observe(dataclasses.replace(time, clock_offset_s=offset), 0.0, 0.0)
    return feedback


async def probe_account(
    sim: SimCluster,
    session: aiohttp.ClientSession,
    venue: str,
    creds: Credentials,
    offsets: dict[str, float] | None = None,
) -> ProbeResult:
    settings = with_credentials(point_at_sim(Settings(), sim.urls), {venue: creds})
    (plan,) = [p for p in build_plan(settings).probes if p.endpoint_id == f"{venue}.account"]
    probe = HttpProbe(plan, session, SystemClock(), BodyLimits(1 << 20), measured(offsets or {}))
    return await probe.run(0.0, 0.0, 0.0)


def creds(sim: SimCluster, venue: str, **changes: object) -> Credentials:
    return sim_credentials(sim.keys, venue, sim.urls[venue]).model_copy(update=changes)


@pytest.mark.parametrize("venue", VENUES)
async def test_round_trip(sim: SimCluster, http: Sessions, venue: str) -> None:
    result = await probe_account(sim, http.warm, venue, creds(sim, venue))
    assert result.outcome is Outcome.OK, result.detail
    assert result.key_permissions in (None, "read")  # None: the venue does not report them
    await sim.apply(ChaosRule(venue=venue, endpoint="account", kind=ChaosKind.KEY_CAN_TRADE))
    trading = await probe_account(sim, http.warm, venue, creds(sim, venue))
    assert trading.key_permissions is None or "trade" in trading.key_permissions


async def test_coinbase_advanced_trade_jwt(sim: SimCluster, http: Sessions) -> None:
    jwt_creds = sim_credentials(sim.keys, "coinbase", sim.urls["coinbase"], scheme="jwt")
    result = await probe_account(sim, http.warm, "coinbase", jwt_creds)
    assert result.outcome is Outcome.OK and result.key_permissions == "read"
    await sim.apply(ChaosRule(venue="coinbase", endpoint="account", kind=ChaosKind.KEY_CAN_TRADE))
    assert (await probe_account(sim, http.warm, "coinbase", jwt_creds)).key_permissions == (
        "read,trade"
    )


@pytest.mark.parametrize("venue", VENUES)
async def test_a_wrong_secret_is_a_real_signature_failure(
    sim: SimCluster, http: Sessions, venue: str
) -> None:
    wrong = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="  # base64, as Kraken/Coinbase secrets are
    result = await probe_account(
        sim, http.warm, venue, creds(sim, venue, api_secret=SecretStr(wrong))
    )
    assert result.outcome is Outcome.AUTH_ERROR
    assert result.auth_problem == "signature"


CASES = [
    (venue, problem)
    for venue in TIMESTAMPED
    for problem in ("key", "signature", "ip", "permission", "timestamp")
]
EXPECTED = {
    ("binance", "ip"): "key",
    ("binance", "permission"): "key",
    ("coinbase", "ip"): "key",
}  # venues that report these as a key problem


@pytest.mark.parametrize(
    ("venue", "problem"), [*CASES, ("kraken", "key"), ("kraken", "nonce"), ("kraken", "permission")]
)
async def test_injected_auth_failures(
    sim: SimCluster, http: Sessions, venue: str, problem: str
) -> None:
    await sim.apply(
        ChaosRule(venue=venue, endpoint="account", kind=ChaosKind.AUTH_FAILURE, problem=problem)
    )
    result = await probe_account(sim, http.warm, venue, creds(sim, venue))
    reported = EXPECTED.get((venue, problem), problem)
    denied = reported == "ip"  # refused for this host's address, not for the key
    assert result.outcome is (Outcome.ACCESS_DENIED if denied else Outcome.AUTH_ERROR)
    assert result.auth_problem == reported


@pytest.mark.parametrize("venue", TIMESTAMPED)
async def test_clock_drift_rejects_timestamps_unless_the_offset_is_used(
    sim: SimCluster, http: Sessions, venue: str
) -> None:
    await sim.apply(ChaosRule(venue=venue, kind=ChaosKind.CLOCK_DRIFT, clock_ms=40_000))
    plain = await probe_account(sim, http.warm, venue, creds(sim, venue, use_server_time=False))
    assert plain.outcome is Outcome.AUTH_ERROR and plain.auth_problem == "timestamp"
    synced = await probe_account(sim, http.warm, venue, creds(sim, venue), {venue: 40.0})
    assert synced.outcome is Outcome.OK, synced.detail


async def test_an_echoed_key_is_scrubbed(http: Sessions) -> None:
    async def echo(request: web.Request) -> web.Response:
        key = request.headers["X-MBX-APIKEY"]
        return web.json_response({"code": -2015, "msg": f"Invalid API-key {key}"}, status=401)

    app = web.Application()
    app.router.add_get("/sapi/v1/account/apiRestrictions", echo)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        canary = Credentials(api_key=SecretStr("canary-key-123"), api_secret=SecretStr("s"))
        settings = with_credentials(
            Settings(enabled_exchanges=["binance"]).model_copy(
                update={
                    "exchanges": {
                        "binance": Settings()
                        .exchange("binance")
                        .model_copy(update={"base_url": str(server.make_url("")).rstrip("/")})
                    }
                }
            ),
            {"binance": canary},
        )
        (plan,) = [p for p in build_plan(settings).probes if p.endpoint == "account"]
        result = await HttpProbe(plan, http.warm, SystemClock(), BodyLimits(1 << 20)).run(
            0.0, 0.0, 0.0
        )
    finally:
        await server.close()
    assert result.auth_problem == "key"
    assert "canary-key-123" not in str(result.as_dict())
    assert "[redacted]" in (result.detail or "")
