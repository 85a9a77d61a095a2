"""Every chaos scenario yields the expected outcome on the affected endpoints only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from monitor.app import Sessions
from monitor.exchanges import EXCHANGES, EndpointKind
from monitor.models import Outcome
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from tests.fakes import FakeClock
from tests.sim.helpers import probe_all

VENUES = tuple(EXCHANGES)
MARKET = {
    name: next(ep.name for ep in p.endpoints if ep.kind is EndpointKind.MARKET)
    for name, p in EXCHANGES.items()
}


def assert_only(results: dict[str, Any], affected: set[str], outcome: Outcome) -> None:
    for endpoint_id, result in results.items():
        expected = outcome if endpoint_id in affected else Outcome.OK
        assert result.outcome is expected, (endpoint_id, result.outcome, result.detail)


def ids(venue: str, *endpoints: str) -> set[str]:
    return {f"{venue}.{e}" for e in endpoints}


async def test_healthy_everything_ok(sim: SimCluster, http: Sessions) -> None:
    results = await probe_all(sim, http.warm)
    assert len(results) == sum(len(p.endpoints) for p in EXCHANGES.values())
    assert_only(results, set(), Outcome.OK)


@pytest.mark.parametrize("venue", VENUES)
async def test_outage_refused_whole_venue(sim: SimCluster, http: Sessions, venue: str) -> None:
    await sim.apply(ChaosRule(venue=venue, kind=ChaosKind.OUTAGE, mode="refused"))
    results = await probe_all(sim, http.warm)
    affected = {k for k in results if k.startswith(venue + ".")}
    assert_only(results, affected, Outcome.CONNECT_ERROR)
    assert {results[k].detail for k in affected} <= {"refused", "server disconnected"}
    await sim.clear(venue)
    assert_only(await probe_all(sim, http.warm), set(), Outcome.OK)


async def test_outage_reset_one_endpoint(sim: SimCluster, http: Sessions) -> None:
    await sim.apply(ChaosRule(venue="okx", endpoint="ticker", kind=ChaosKind.OUTAGE, mode="reset"))
    assert_only(await probe_all(sim, http.cold), ids("okx", "ticker"), Outcome.CONNECT_ERROR)


@pytest.mark.parametrize("venue", VENUES)
async def test_5xx_burst(sim: SimCluster, http: Sessions, venue: str) -> None:
    await sim.apply(ChaosRule(venue=venue, endpoint="time", kind=ChaosKind.HTTP_5XX, status=502))
    results = await probe_all(sim, http.warm)
    assert_only(results, ids(venue, "time"), Outcome.HTTP_ERROR)
    assert results[f"{venue}.time"].status == 502


@pytest.mark.parametrize("venue", VENUES)
async def test_rate_limit_in_venue_format(sim: SimCluster, http: Sessions, venue: str) -> None:
    await sim.apply(ChaosRule(venue=venue, kind=ChaosKind.RATE_LIMIT, retry_after_s=30))
    results = await probe_all(sim, http.warm)
    affected = {k for k in results if k.startswith(venue + ".")}
    assert_only(results, affected, Outcome.RATE_LIMITED)
    if venue in ("binance", "bybit"):  # Retry-After header / Bybit reset timestamp
        retry = results[f"{venue}.time"].retry_after_s
        assert retry is not None and 25 <= retry <= 30


async def test_binance_418_ban_carries_its_end(sim: SimCluster, http: Sessions) -> None:
    await sim.apply(ChaosRule(venue="binance", kind=ChaosKind.BAN, retry_after_s=120))
    results = await probe_all(sim, http.warm)
    affected = ids("binance", "ping", "time", "status", "depth")
    assert_only(results, affected, Outcome.RATE_LIMITED)
    ban = results["binance.ping"]
    assert ban.status == 418
    assert ban.ban_until_s is not None
    assert ban.ban_until_s - ban.started_wall_s == pytest.approx(120, abs=2)


@pytest.mark.parametrize("venue", VENUES)
async def test_maintenance(sim: SimCluster, http: Sessions, venue: str) -> None:
    await sim.apply(ChaosRule(venue=venue, kind=ChaosKind.MAINTENANCE))
    results = await probe_all(sim, http.warm)
    affected = {k for k in results if k.startswith(venue + ".")}
    assert_only(results, affected, Outcome.MAINTENANCE)
    assert results[f"{venue}.status"].venue_status == "maintenance"
    assert results[f"{venue}.status"].status == 200  # the status endpoint itself answers


@pytest.mark.parametrize("venue", ["kraken", "coinbase"])
async def test_cancel_only_is_degraded_not_down(
    sim: SimCluster, http: Sessions, venue: str
) -> None:
    await sim.apply(ChaosRule(venue=venue, kind=ChaosKind.CANCEL_ONLY))
    results = await probe_all(sim, http.warm)
    assert_only(results, ids(venue, "status"), Outcome.DEGRADED)
    assert results[f"{venue}.status"].venue_status == "cancel_only"


@pytest.mark.parametrize("venue", VENUES)
async def test_error_inside_http_200(sim: SimCluster, http: Sessions, venue: str) -> None:
    await sim.apply(ChaosRule(venue=venue, endpoint=MARKET[venue], kind=ChaosKind.ERROR_200))
    results = await probe_all(sim, http.warm)
    assert_only(results, ids(venue, MARKET[venue]), Outcome.EXCHANGE_ERROR)
    assert results[f"{venue}.{MARKET[venue]}"].status == 200


@pytest.mark.parametrize("venue", VENUES)
async def test_malformed_json(sim: SimCluster, http: Sessions, venue: str) -> None:
    await sim.apply(ChaosRule(venue=venue, endpoint="time", kind=ChaosKind.MALFORMED_JSON))
    assert_only(await probe_all(sim, http.warm), ids(venue, "time"), Outcome.BAD_PAYLOAD)


async def test_oversized_body(sim: SimCluster, http: Sessions) -> None:
    rule = ChaosRule(
        venue="bybit", endpoint="orderbook", kind=ChaosKind.OVERSIZED, size_bytes=512 * 1024
    )
    await sim.apply(rule)
    results = await probe_all(sim, http.warm, cap=64 * 1024)
    assert_only(results, ids("bybit", "orderbook"), Outcome.BAD_PAYLOAD)
    assert results["bybit.orderbook"].detail == f"body over {64 * 1024} bytes"


async def test_hang_times_out_at_deadline(sim: SimCluster, http: Sessions) -> None:
    await sim.apply(ChaosRule(venue="coinbase", endpoint="ticker", kind=ChaosKind.HANG))
    async with asyncio.timeout(5):
        results = await probe_all(sim, http.warm, timeout_s=0.3)
    assert_only(results, ids("coinbase", "ticker"), Outcome.TIMEOUT)
    assert results["coinbase.ticker"].latency_s >= 0.3


async def test_latency_spike_and_drift_stay_ok(sim: SimCluster, http: Sessions) -> None:
    await sim.apply(
        ChaosRule(venue="okx", endpoint="time", kind=ChaosKind.LATENCY_SPIKE, latency_ms=80)
    )
    await sim.apply(ChaosRule(venue="bybit", kind=ChaosKind.LATENCY_DRIFT, drift_ms_per_s=10))
    results = await probe_all(sim, http.warm)
    assert_only(results, set(), Outcome.OK)
    assert results["okx.time"].latency_s >= 0.080  # a lower bound only: never a timing race


@pytest.mark.parametrize("venue", VENUES)
async def test_clock_offset_estimate(sim: SimCluster, http: Sessions, venue: str) -> None:
    drift_ms = 750.0
    await sim.apply(
        ChaosRule(venue=venue, endpoint="time", kind=ChaosKind.CLOCK_DRIFT, clock_ms=drift_ms)
    )
    result = (await probe_all(sim, http.warm))[f"{venue}.time"]
    assert result.outcome is Outcome.OK
    assert result.clock_offset_s is not None and result.clock_uncertainty_s is not None
    # within +-(RTT/2 + 5 ms); the uncertainty also holds the server clock's resolution/2
    assert abs(result.clock_offset_s - drift_ms / 1000) <= result.clock_uncertainty_s + 0.005
    if venue != "kraken":  # Kraken's Time has 1 s resolution
        assert result.clock_uncertainty_s < 0.05


async def test_stale_data_freezes_market_timestamps(
    manual_sim: SimCluster, fake_clock: FakeClock, http: Sessions
) -> None:
    await manual_sim.apply(
        ChaosRule(venue="bybit", endpoint="orderbook", kind=ChaosKind.STALE_DATA)
    )
    before = await probe_all(manual_sim, http.warm)
    fake_clock.shift(30.0)
    after = await probe_all(manual_sim, http.warm)
    assert_only(after, set(), Outcome.OK)
    frozen = ("bybit.orderbook",)
    moving = ("okx.ticker", "coinbase.ticker", "kraken.depth")
    for endpoint_id in frozen:
        assert after[endpoint_id].data_time_s == before[endpoint_id].data_time_s
        assert after[endpoint_id].data_seq == before[endpoint_id].data_seq
    for endpoint_id in moving:
        assert after[endpoint_id].data_time_s == pytest.approx(
            (before[endpoint_id].data_time_s or 0) + 30.0, abs=1.0
        )
    assert after["binance.depth"].data_seq != before["binance.depth"].data_seq


BLOCKS = {
    ChaosKind.GEO_BLOCK: "CloudFront geo-block",
    ChaosKind.WAF_BLOCK: "Cloudflare WAF block (error 1020)",
    ChaosKind.LEGAL_BLOCK: "HTTP 451 restricted location",
}


@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize("kind", list(BLOCKS))
async def test_access_blocks_are_access_denied(
    sim: SimCluster, http: Sessions, venue: str, kind: ChaosKind
) -> None:
    await sim.apply(ChaosRule(venue=venue, kind=kind))
    results = await probe_all(sim, http.warm)
    affected = {k for k in results if k.startswith(venue + ".")}
    assert_only(results, affected, Outcome.ACCESS_DENIED)
    assert {results[k].block for k in affected} == {BLOCKS[kind]}


@pytest.mark.parametrize("venue", VENUES)
async def test_rate_limit_without_retry_after_carries_the_venues_backoff(
    sim: SimCluster, http: Sessions, venue: str
) -> None:
    await sim.apply(ChaosRule(venue=venue, kind=ChaosKind.THROTTLED, retry_after_s=30))
    results = await probe_all(sim, http.warm)
    affected = {k for k in results if k.startswith(venue + ".")}
    assert_only(results, affected, Outcome.RATE_LIMITED)
    for key in affected:
        result = results[key]
        if venue == "bybit":  # its reset timestamp says when
            assert result.retry_after_s is not None and 25 <= result.retry_after_s <= 30
        else:
            assert result.retry_after_s is None and result.backoff_s is not None
