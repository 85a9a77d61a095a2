"""Who may use the API. With `web.token` set, the API and the status page need
`Authorization: Bearer <token>` (RFC 6750; the scheme is case-insensitive, nothing else is
accepted: no bare token, no query parameter). Changing silences always needs the token, so a
monitor without one cannot be muted over HTTP. The token itself is checked at start-up
(`WebSettings`): an empty or short one is a configuration error, never an open API."""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from pydantic import SecretStr


def bearer_matches(header: str | None, token: SecretStr) -> bool:
    """True only for `Bearer <token>` exactly (constant-time comparison)."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.encode(), token.get_secret_value().encode())


def _guarded(request: web.Request) -> tuple[bool, bool]:
    """(needs the token when one is set, needs it always)."""
    path = request.path
    changes_silences = request.method != "GET" and path.startswith("/api/v1/silences")
    return path == "/" or path.startswith("/api/"), changes_silences


def auth_middleware(token: SecretStr | None) -> Middleware:
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        guarded, always = _guarded(request)
        if guarded and (token is not None or always):
            header = request.headers.get("Authorization")
            if token is None or not bearer_matches(header, token):
                return web.json_response(
                    {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
                )
        return await handler(request)

    return auth
