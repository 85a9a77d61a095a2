"""Answers that are not the venue's API speaking: access blocks and redirects.

A CDN in front of a venue refuses a host with its own page, whatever the venue would say:
CloudFront's "configured to block access from your country" (a geo-block) or "Request
blocked" (AWS WAF), Cloudflare's "Access denied" pages (error 1020: a firewall rule; 1009: a
country ban; 1006-1008: a banned IP), and HTTP 451 "Unavailable For Legal Reasons" (Binance:
"Service unavailable from a restricted location"). They are told apart from rate limits by
their body and headers, never by the status alone: Bybit's 403 "access too frequent" and
Cloudflare's 1015 "You are being rate limited" are rate limits, and stay so.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from monitor.models import Outcome

if TYPE_CHECKING:
    from monitor.exchanges.base import BodyError

_CLOUDFRONT_GEO = b"configured to block access from your country"
_CLOUDFRONT_WAF = b"request blocked"
_CLOUDFRONT_MARK = (b"cloudfront",)
_CLOUDFLARE_MARK = (b"cloudflare",)
_CF_CODE = re.compile(
    rb'(?:error(?: code)?:?|cf-error-code">|error</span>\s*<span>)\s*(10(?:0[6-9]|20))\b', re.I
)
_CF_WHY = {
    b"1020": "Cloudflare WAF block (error 1020)",
    b"1009": "Cloudflare country block (error 1009)",
    b"1006": "Cloudflare IP ban (error 1006)",
    b"1007": "Cloudflare IP ban (error 1007)",
    b"1008": "Cloudflare IP ban (error 1008)",
}
_SCAN_BYTES = 16_384
_TAGS = re.compile(r"<[^>]*>")


@dataclasses.dataclass(frozen=True, slots=True)
class Block:
    """Who refuses this host, and in what words."""

    name: str  # "CloudFront geo-block", "Cloudflare WAF block (error 1020)", "HTTP 451 ..."
    words: str  # the page's own sentence, or the status


def _served_by(headers: Mapping[str, str], head: bytes, marks: tuple[bytes, ...]) -> bool:
    server = " ".join(headers.get(h, "") for h in ("Server", "X-Cache", "Via")).lower().encode()
    return any(m in server or m in head for m in marks)


def _sentence(head: bytes, needle: bytes) -> str:
    """The sentence of the page containing `needle`, markup removed."""
    text = " ".join(_TAGS.sub(" ", head.decode("utf-8", "replace")).split())
    at = text.lower().find(needle.decode())
    if at < 0:
        return ""
    start = text.rfind(".", 0, at) + 1
    end = text.find(".", at)
    return text[start : end + 1 if end >= 0 else len(text)].strip()


def cdn_block(status: int, headers: Mapping[str, str], body: bytes) -> Block | None:
    """A CDN's block page (403 naming the block), or None."""
    if status != 403:
        return None
    head = body[:_SCAN_BYTES]
    folded = head.lower()
    if _served_by(headers, folded, _CLOUDFRONT_MARK):
        if _CLOUDFRONT_GEO in folded:
            return Block("CloudFront geo-block", _sentence(head, _CLOUDFRONT_GEO))
        if _CLOUDFRONT_WAF in folded:
            return Block("CloudFront WAF block", "Request blocked.")
    if _served_by(headers, folded, _CLOUDFLARE_MARK):
        match = _CF_CODE.search(head)
        if match is not None:
            return Block(_CF_WHY[match.group(1)], "Access denied")
    return None


def access_block(
    status: int, headers: Mapping[str, str], body: bytes, venue: BodyError | None
) -> Block | None:
    """A CDN's block page (whatever the venue's rules made of the status), or HTTP 451 (the
    venue refuses this host's location) in the venue's words, unless they say rate limit."""
    page = cdn_block(status, headers, body)
    if page is not None or status != 451:
        return page
    if venue is not None and venue.outcome is Outcome.RATE_LIMITED:
        return None
    words = venue.detail.removeprefix("HTTP 451 ") if venue is not None else ""
    return Block("HTTP 451 restricted location", words or "Unavailable For Legal Reasons")


def redirect_target(status: int, headers: Mapping[str, str]) -> str | None:
    """For a redirect, "HTTP 302 to host/path" (no scheme, no query: it may carry tokens)."""
    if not 300 <= status < 400:
        return None
    location = urllib.parse.urlsplit(headers.get("Location", ""))
    where = f"{location.netloc}{location.path}" or "(no Location)"
    return f"HTTP {status} to {where}"
