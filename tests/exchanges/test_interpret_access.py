"""Access blocks told apart from rate limits by body and headers, not by status alone:
table-driven over real bodies (provenance in tests/fixtures/exchanges/SOURCES.md)."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.exchanges import EXCHANGES
from monitor.models import Outcome
from tests.exchanges.test_interpret import NOW, body

CLOUDFRONT = {"Server": "CloudFront", "X-Cache": "Error from cloudfront"}
CLOUDFLARE = {"Server": "cloudflare", "CF-RAY": "6c1961610a967b2b-DME"}
GEO_PAGE = body("cdn/cloudfront_403_country_block.html")
WAF_PAGE = body("cdn/cloudflare_403_1020_access_denied.html")
GEO_WORDS = (
    "HTTP 403 The Amazon CloudFront distribution is configured to block access from your country."
)

# (venue, endpoint, body, status, headers, outcome, expected facts)
CASES: list[tuple[str, str, bytes, int, dict[str, str], Outcome, dict[str, Any]]] = [
    # A CloudFront geo-block on Binance was EXCHANGE_DOWN (an outage); on Bybit a rate limit.
    *(
        (
            venue,
            ep,
            GEO_PAGE,
            403,
            CLOUDFRONT,
            Outcome.ACCESS_DENIED,
            {"block": "CloudFront geo-block", "detail": GEO_WORDS},
        )
        for venue, ep in (("binance", "time"), ("bybit", "orderbook"), ("okx", "ticker"))
    ),
    (
        "kraken",
        "depth",
        WAF_PAGE,
        403,
        CLOUDFLARE,
        Outcome.ACCESS_DENIED,
        {"block": "Cloudflare WAF block (error 1020)", "detail": "HTTP 403 Access denied"},
    ),
    (
        "coinbase",
        "ticker",
        b"error code: 1020",  # modelled: Cloudflare's plain-text form of the page
        403,
        CLOUDFLARE,
        Outcome.ACCESS_DENIED,
        {"block": "Cloudflare WAF block (error 1020)"},
    ),
    (
        "binance",
        "depth",
        body("binance/error_451_restricted_location.json"),
        451,
        {},
        Outcome.ACCESS_DENIED,
        {"block": "HTTP 451 restricted location"},
    ),
    (
        "okx",
        "ticker",
        b"",
        451,
        {},
        Outcome.ACCESS_DENIED,
        {"detail": "HTTP 451 Unavailable For Legal Reasons"},
    ),
    # Bybit's own 403 is its IP rate limit, whose ban lasts at least 10 minutes.
    (
        "bybit",
        "orderbook",
        b"access too frequent",
        403,
        {},
        Outcome.RATE_LIMITED,
        {"retry_after_s": 600.0, "block": None},
    ),
    # Cloudflare's rate limit (1015) and a CloudFront 403 naming no block are not blocks.
    (
        "coinbase",
        "ticker",
        b"error code: 1015",
        429,
        CLOUDFLARE,
        Outcome.RATE_LIMITED,
        {"block": None},
    ),
    (
        "binance",
        "time",
        b"<html>Forbidden</html>",
        403,
        CLOUDFRONT,
        Outcome.HTTP_ERROR,
        {"block": None},
    ),
    # A key refused for this host's IP (OKX 50110, Bybit 10010): access denied from here.
    (
        "okx",
        "account",
        b'{"code":"50110","msg":"Your IP 203.0.113.7 is not included in your API key\'s'
        b' IP whitelist.","data":[]}',
        401,
        {},
        Outcome.ACCESS_DENIED,
        {"auth_problem": "ip", "block": "IP not whitelisted for the API key"},
    ),
]


@pytest.mark.parametrize(
    ("venue", "endpoint", "raw", "status", "headers", "outcome", "facts"),
    CASES,
    ids=[f"{c[0]}-{c[3]}-{c[5].value}-{i}" for i, c in enumerate(CASES)],
)
def test_access_interpretation(
    venue: str,
    endpoint: str,
    raw: bytes,
    status: int,
    headers: dict[str, str],
    outcome: Outcome,
    facts: dict[str, Any],
) -> None:
    profile = EXCHANGES[venue]
    verdict = profile.interpret(profile.endpoint(endpoint), status, headers, raw, NOW)
    assert verdict.outcome is outcome, verdict.detail
    for field, expected in facts.items():
        assert getattr(verdict, field) == expected, field


def test_a_451_keeps_the_venues_words() -> None:
    profile = EXCHANGES["binance"]
    raw = body("binance/error_451_restricted_location.json")
    verdict = profile.interpret(profile.endpoint("depth"), 451, {}, raw, NOW)
    assert verdict.detail is not None
    assert verdict.detail.startswith("HTTP 451 0 Service unavailable from a restricted location")
