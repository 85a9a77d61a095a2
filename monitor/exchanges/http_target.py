"""Arbitrary HTTP targets from config, as Gatus endpoints: expected status codes and an
optional condition on one JSON field (dot path, list indexes allowed: `data.0.state`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import orjson

from monitor.exchanges.base import Interpretation, truncate
from monitor.models import Outcome
from monitor.retry import parse_retry_after

_MISSING = object()


@dataclasses.dataclass(frozen=True, slots=True)
class HttpCheck:
    """What makes a generic target healthy."""

    expect_status: frozenset[int] = frozenset({200})
    json_field: str | None = None
    json_equals: Any = None


def lookup(payload: Any, path: str) -> Any:
    """Follow a dot path through dicts and lists; `_MISSING` when it leads nowhere."""
    node = payload
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif (
            isinstance(node, list)
            and part.lstrip("-").isdigit()
            and -len(node) <= int(part) < len(node)
        ):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def interpret_http(
    check: HttpCheck, status: int, headers: Mapping[str, str], body: bytes, now_s: float
) -> Interpretation:
    retry_after = parse_retry_after(headers.get("Retry-After"), now_s)
    if status == 429:
        return Interpretation(Outcome.RATE_LIMITED, "HTTP 429", retry_after_s=retry_after)
    if status not in check.expect_status:
        return Interpretation(Outcome.HTTP_ERROR, f"HTTP {status}", retry_after_s=retry_after)
    if check.json_field is None:
        return Interpretation(Outcome.OK)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Interpretation(Outcome.BAD_PAYLOAD, "invalid JSON")
    value = lookup(payload, check.json_field)
    if value is _MISSING:
        return Interpretation(Outcome.BAD_PAYLOAD, truncate(f"no field {check.json_field}"))
    if value != check.json_equals:
        detail = f"{check.json_field} == {check.json_equals!r} failed (got {value!r})"
        return Interpretation(Outcome.EXCHANGE_ERROR, truncate(detail))
    return Interpretation(Outcome.OK)
