"""SYMBOL_HALTED: a configured symbol that stops trading while the venue is up (fake clock)."""

from __future__ import annotations

from typing import Any

from monitor.models import Outcome
from monitor.probes.kinds import build_plan
from monitor.settings import Settings
from tests.detect.test_detector_rules import Scenario
from tests.fakes import FakeClock

HALTED = {"symbol_status": "HALT", "symbol_trading": False}
TRADING = {"symbol_status": "TRADING", "symbol_trading": True}
TIMEOUT = {"outcome": Outcome.TIMEOUT, "detail": "deadline exceeded", "latency_s": 1.0}


def watching(*symbols: str) -> Settings:
    tables = {"binance": {"symbols": list(symbols)}}
    return Settings(interval_s=1.0, timeout_s=1.0, exchanges=tables)


def test_a_halted_symbol_alerts_and_recovers(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock, watching("BTCUSDT", "ETHUSDT"))
    s.rounds(2, {"binance.symbol:BTCUSDT": TRADING, "binance.symbol:ETHUSDT": TRADING})
    s.rounds(2, {"binance.symbol:BTCUSDT": HALTED, "binance.symbol:ETHUSDT": TRADING})
    assert s.events() == [("firing", "SYMBOL_HALTED/binance/symbol:BTCUSDT", "high")]
    s.rounds(4, {"binance.symbol:BTCUSDT": TRADING, "binance.symbol:ETHUSDT": TRADING})
    assert s.events() == [("resolved", "SYMBOL_HALTED/binance/symbol:BTCUSDT", "high")]


def test_a_venue_down_mutes_its_symbols(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock, watching("BTCUSDT"))
    down: dict[str, Any] = {eid: TIMEOUT for eid, p in s.probes.items() if p.venue == "binance"}
    s.rounds(4, down)
    s.rounds(2, {**down, "binance.symbol:BTCUSDT": HALTED})
    assert s.events() == [("firing", "EXCHANGE_DOWN/binance", "critical")]


def test_symbols_are_probed_on_their_own_slower_schedule() -> None:
    plan = build_plan(
        Settings(exchanges={"okx": {"symbols": "BTC-USDT,ETH-USDT", "symbols_interval_s": 30}})
    )
    symbols = {p.endpoint_id: p for p in plan.probes if p.endpoint.startswith("symbol:")}
    assert sorted(symbols) == ["okx.symbol:BTC-USDT", "okx.symbol:ETH-USDT"]
    probe = symbols["okx.symbol:BTC-USDT"]
    assert probe.interval_s == 30
    assert probe.url.endswith("/api/v5/public/instruments?instType=SPOT&instId=BTC-USDT")
