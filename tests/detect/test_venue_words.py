"""The venue's own words in every summary: its error code and message, the HTTP status and,
for a redirect, where it points; read by the venue's profile from real bodies."""

from __future__ import annotations

from typing import Any

from monitor.detect.words import WORDS_MAX_CHARS, said
from monitor.exchanges import EXCHANGES
from monitor.models import Outcome, ProbeResult
from monitor.notify.render import event_line
from tests.detect.helpers import drain
from tests.detect.test_detector_rules import Scenario
from tests.exchanges.test_interpret import NOW
from tests.fakes import FakeClock


def answer(venue: str, endpoint: str, status: int, raw: bytes, **headers: str) -> dict[str, Any]:
    """The result fields the venue's profile reads from this answer."""
    profile = EXCHANGES[venue]
    verdict = profile.interpret(profile.endpoint(endpoint), status, headers, raw, NOW)
    return {"outcome": verdict.outcome, "status": status, "detail": verdict.detail}


def summaries(s: Scenario) -> dict[str, str]:
    return {e.fingerprint: e.summary for e in drain(s.alerts)}


def test_exchange_down_quotes_each_endpoints_words(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(2)
    down = answer("kraken", "time", 200, b'{"error":["EService:Unavailable"]}')
    s.rounds(4, {e: down for e in s.probes if e.startswith("kraken.")})
    summary = summaries(s)["EXCHANGE_DOWN/kraken"]
    assert "time: HTTP 200 EService:Unavailable" in summary  # was "time: exchange_error"


def test_streaks_quote_the_venue_code_and_status(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(2)
    okx = answer("okx", "ticker", 503, b'{"code":"50001","msg":"Service temporarily unavailable"}')
    cloudflare = answer(
        "binance", "time", 520, b"<html>520: Web server is returning an unknown error"
    )
    s.rounds(4, {"okx.ticker": okx, "binance.time": cloudflare})
    got = summaries(s)
    assert (
        "HTTP 503 50001 Service temporarily unavailable" in got["CONSECUTIVE_FAILURES/okx/ticker"]
    )
    assert got["CONSECUTIVE_FAILURES/binance/time"].endswith("last http_error: HTTP 520")


def test_a_redirect_says_where_not_invalid_json(fake_clock: FakeClock) -> None:
    moved = answer(
        "coinbase", "time", 302, b"", Location="https://login.example.com/sso?token=SECRET"
    )
    assert moved == {
        "outcome": Outcome.HTTP_ERROR,
        "status": 302,
        "detail": "HTTP 302 to login.example.com/sso",
    }
    s = Scenario(fake_clock)
    s.rounds(2)
    s.rounds(4, {"coinbase.time": moved})
    summary = summaries(s)["CONSECUTIVE_FAILURES/coinbase/time"]
    assert "HTTP 302 to login.example.com/sso" in summary and "invalid JSON" not in summary


def test_rate_limits_quote_the_venue_and_when_it_is_asked_again(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(2)
    raw = b'{"code":-1008,"msg":"Server is currently overloaded with other requests."}'
    busy = {**answer("binance", "depth", 503, raw), "next_probe_s": 30.0}
    s.rounds(1, {"binance.depth": busy})
    events = drain(s.alerts)
    assert [e.fingerprint for e in events] == ["RATE_LIMITED/binance"]
    line = event_line(events[0], str)
    assert "HTTP 503 -1008 Server is currently overloaded" in line
    assert "next probe in 30 s" in line


def test_the_venues_words_are_shortened_to_120_characters() -> None:
    long = ProbeResult(
        "okx.ticker",
        "okx",
        "ticker",
        Outcome.EXCHANGE_ERROR,
        0.0,
        0.0,
        0.01,
        0.0,
        0.0,
        status=200,
        detail="50013 " + "x" * 500,
    )
    words = said(long)
    assert len(words) == WORDS_MAX_CHARS and words.startswith("HTTP 200 50013 x")
