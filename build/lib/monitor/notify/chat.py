"""What the chat sinks share: reading a JSON answer that may say "failed" under HTTP 200."""

from __future__ import annotations

from typing import Any

import orjson

from monitor.notify.base import DeliveryError


def json_answer(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def refused(service: str, code: object, retryable: bool = False) -> DeliveryError:
    """A chat API that answered 200 but did not post the message."""
    return DeliveryError(f"{service} refused the message (code {code})", retryable=retryable)
