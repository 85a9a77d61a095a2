"""The one place where a transport exception becomes an Outcome (style rule 10)."""

from __future__ import annotations

import errno
import socket

import aiohttp
from aiohttp.http_exceptions import ContentEncodingError

from monitor.models import Outcome


def classify_failure(exc: Exception) -> tuple[Outcome, str] | None:
    """Map a target failure to (outcome, short detail); None means a bug: re-raise it."""
    if isinstance(exc, TimeoutError):
        return Outcome.TIMEOUT, "deadline exceeded"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return Outcome.CONNECT_ERROR, "dns"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return Outcome.CONNECT_ERROR, "tls"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Outcome.CONNECT_ERROR, _os_detail(exc.os_error, "connect")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return Outcome.CONNECT_ERROR, "server disconnected"
    if isinstance(exc, aiohttp.ClientPayloadError):
        if isinstance(exc.__cause__, ContentEncodingError):  # the target's data, not the wire
            return Outcome.BAD_PAYLOAD, "undecodable body"
        return Outcome.CONNECT_ERROR, "body cut short"
    if isinstance(exc, aiohttp.ClientResponseError):
        return Outcome.BAD_PAYLOAD, "malformed HTTP response"
    if isinstance(exc, socket.gaierror):
        return Outcome.CONNECT_ERROR, "dns"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return Outcome.CONNECT_ERROR, _os_detail(exc, type(exc).__name__)
    return None


def _os_detail(exc: BaseException, default: str) -> str:
    code = getattr(exc, "errno", None)
    if code == errno.ECONNREFUSED:
        return "refused"
    if code == errno.ECONNRESET:
        return "reset"
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "unreachable"
    return default
