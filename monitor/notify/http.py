"""Posting to a channel's HTTP API. The one place where a transport failure or a status
becomes a DeliveryError, whose message never holds the URL (bot tokens live in URLs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from monitor.notify.base import DeliveryError
from monitor.retry import parse_retry_after, retryable_status

RESPONSE_CAP_BYTES = 64 * 1024


RetryHint = Callable[[bytes], float | None]


def status_error(
    status: int, headers: Mapping[str, str], body: bytes, now_s: float, hint: RetryHint | None
) -> DeliveryError:
    if 300 <= status < 400:  # never followed: the token or signed body would go along
        return DeliveryError(f"HTTP {status}: redirect refused", retryable=False, status=status)
    retry_after = parse_retry_after(headers.get("Retry-After"), now_s)
    if retry_after is None and hint is not None:
        retry_after = hint(body)
    return DeliveryError(
        f"HTTP {status}",
        retryable=retryable_status(status),
        retry_after_s=retry_after,
        status=status,
    )


async def post(
    session: aiohttp.ClientSession,
    url: str,
    now_s: float,
    *,
    body: bytes | None = None,
    form: dict[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    retry_hint: RetryHint | None = None,
) -> tuple[int, bytes]:
    """POST and return (status, body) of a 2xx answer; raise DeliveryError otherwise. The
    caller owns the deadline (asyncio.timeout around the whole delivery)."""
    kwargs: dict[str, Any] = {"headers": dict(headers or {}), "allow_redirects": False}
    if params is not None:
        kwargs["params"] = dict(params)
    if body is not None:
        kwargs["data"] = body
        kwargs["headers"].setdefault("Content-Type", "application/json")
    elif form is not None:
        kwargs["data"] = form
    try:
        async with session.post(url, **kwargs) as response:
            answer = await response.content.read(RESPONSE_CAP_BYTES)
            if not 200 <= response.status < 300:
                raise status_error(response.status, response.headers, answer, now_s, retry_hint)
            return response.status, answer
    except (aiohttp.ClientError, OSError) as exc:
        raise DeliveryError(f"transport: {type(exc).__name__}", retryable=True) from None
