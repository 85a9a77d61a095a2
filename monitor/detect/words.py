"""The venue's own words, as alert summaries quote them: the HTTP status, then the venue's
error code and message (or our failure kind), shortened. The text was scrubbed of secrets
where the probe read it; each channel escapes it when it renders the summary."""

from __future__ import annotations

from monitor.exchanges.base import truncate
from monitor.models import ProbeResult

WORDS_MAX_CHARS = 120


def said(result: ProbeResult) -> str:
    """`HTTP 503 EService:Unavailable`, `HTTP 200 50001 Service temporarily unavailable`,
    `HTTP 302 to example.com/login`, `timeout`: at most 120 characters."""
    words = result.detail or result.outcome.value
    if result.status is not None and not words.startswith("HTTP "):
        words = f"HTTP {result.status} {words}"
    return truncate(words, WORDS_MAX_CHARS)
