"""CLOCK_DRIFT severity from the signing margin: what is left of the venue's receive window."""

from __future__ import annotations

import pytest

from monitor.exchanges import EXCHANGES
from monitor.settings import Settings
from tests.detect.test_detector_rules import Scenario
from tests.fakes import FakeClock

CASES = [
    # venue, clock offset (server minus ours) in ms, expected severity
    ("binance", 3000, "critical"),  # 3 s behind: 2 s left of the 5 s recvWindow (< 50%)
    ("bybit", 3000, "critical"),  # the same on Bybit's recv_window
    ("binance", 2400, "high"),  # 2.6 s of 5 s left (52%): above 1 s only
    ("binance", 1500, "high"),
    ("okx", 3000, "high"),  # OKX requests expire after 30 s: 27 s left
    ("okx", 16000, "critical"),  # 14 s of 30 s left
    ("coinbase", 800, "medium"),
    ("binance", -600, "critical"),  # 600 ms ahead: 400 ms left of Binance's 1 s ahead window
    ("kraken", 3000, "high"),  # nonces, no timestamp window: never critical from the offset
]


@pytest.mark.parametrize(("venue", "offset_ms", "severity"), CASES)
def test_severity_follows_the_margin_left_in_the_receive_window(
    fake_clock: FakeClock, venue: str, offset_ms: float, severity: str
) -> None:
    s = Scenario(fake_clock)
    drift = {"clock_offset_s": offset_ms / 1000, "clock_uncertainty_s": 0.01}
    s.rounds(3, {f"{venue}.time": drift})
    assert s.events() == [("firing", f"CLOCK_DRIFT/{venue}/time", severity)]


def test_critical_margin_is_configurable(fake_clock: FakeClock) -> None:
    settings = Settings(interval_s=1.0, timeout_s=1.0, rules={"clock_drift_critical_margin": 0.7})
    s = Scenario(fake_clock, settings)
    drift = {"clock_offset_s": 2.0, "clock_uncertainty_s": 0.01}  # 3 s of 5 s left: 60% < 70%
    s.rounds(3, {"binance.time": drift})
    assert s.events() == [("firing", "CLOCK_DRIFT/binance/time", "critical")]


def test_every_timestamp_signing_profile_states_its_receive_window() -> None:
    assert EXCHANGES["binance"].signing_window_ms == (1000.0, 5000.0)
    assert EXCHANGES["bybit"].signing_window_ms == (1000.0, 5000.0)
    assert EXCHANGES["okx"].signing_window_ms == (30000.0, 30000.0)
    assert EXCHANGES["kraken"].signing_window_ms is None


def test_a_configured_recv_window_is_the_window_judged(fake_clock: FakeClock) -> None:
    creds = {"api_key": "k", "api_secret": "s", "recv_window_ms": 10_000}
    settings = Settings(
        interval_s=1.0, timeout_s=1.0, exchanges={"binance": {"credentials": creds}}
    )
    s = Scenario(fake_clock, settings)
    drift = {"clock_offset_s": 3.0, "clock_uncertainty_s": 0.01}  # 7 s of 10 s left
    s.rounds(3, {"binance.time": drift})
    assert s.events() == [("firing", "CLOCK_DRIFT/binance/time", "high")]
