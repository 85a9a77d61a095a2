"""Query parameters of the API, validated: a bad, repeated or unknown parameter is a 400 whose
JSON body names it, never a 500. A handler declares what it reads with `@accepts(...)`; an
API route without the decorator takes no parameters."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

H = TypeVar("H", bound=Handler)
N = TypeVar("N", int, float)
_ACCEPTED = "accepted_params"


class BadRequest(web.HTTPBadRequest):
    """400 with `{"error": message}`."""

    def __init__(self, message: str) -> None:
        super().__init__(
            text=orjson.dumps({"error": message}).decode(), content_type="application/json"
        )


def accepts(*names: str) -> Callable[[H], H]:
    def mark(handler: H) -> H:
        setattr(handler, _ACCEPTED, frozenset(names))
        return handler

    return mark


@web.middleware
async def known_params(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/api/"):
        accepted: frozenset[str] = getattr(request.match_info.handler, _ACCEPTED, frozenset())
        for name in request.query:
            if name not in accepted:
                known = ", ".join(sorted(accepted)) or "none"
                raise BadRequest(f"unknown parameter {name!r} (accepted: {known})")
    return await handler(request)


def _single(request: web.Request, name: str) -> str | None:
    given = request.query.getall(name, [])
    if len(given) > 1:
        raise BadRequest(f"{name}: given {len(given)} times")
    return given[0] if given else None


def _within(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise BadRequest(f"{name}: must be between {low:g} and {high:g}")


def _parsed(
    request: web.Request, name: str, default: N, low: N, high: N, parse: type[N], what: str
) -> N:
    given = _single(request, name)
    if given is None:
        return default
    try:
        value = parse(given)
    except ValueError:
        raise BadRequest(f"{name}: not {what}") from None
    _within(name, value, low, high)
    return value


def number(request: web.Request, name: str, default: float, low: float, high: float) -> float:
    """The parameter as a finite float in [low, high], or `default` when absent."""
    return _parsed(request, name, default, low, high, float, "a number")


def integer(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """The parameter as an integer in [low, high], or `default` when absent."""
    return _parsed(request, name, default, low, high, int, "an integer")
