"""The single exception -> Outcome mapping (no network: DNS lookups would leave loopback)."""

from __future__ import annotations

import errno
import ssl

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from monitor.models import Outcome
from monitor.probes.failures import classify_failure

KEY = ConnectionKey("exchange.test", 443, True, True, None, None, None)


@pytest.mark.parametrize(
    ("exc", "outcome", "detail"),
    [
        (TimeoutError(), Outcome.TIMEOUT, "deadline exceeded"),
        (
            aiohttp.ClientConnectorDNSError(KEY, OSError(-2, "Name or service not known")),
            Outcome.CONNECT_ERROR,
            "dns",
        ),
        (
            aiohttp.ClientConnectorCertificateError(KEY, ssl.SSLCertVerificationError()),
            Outcome.CONNECT_ERROR,
            "tls",
        ),
        (
            aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(errno.ECONNREFUSED, "no")),
            Outcome.CONNECT_ERROR,
            "refused",
        ),
        (aiohttp.ServerDisconnectedError(), Outcome.CONNECT_ERROR, "server disconnected"),
        (aiohttp.ClientOSError(errno.ECONNRESET, "reset"), Outcome.CONNECT_ERROR, "reset"),
        (aiohttp.ClientPayloadError("cut"), Outcome.CONNECT_ERROR, "body cut short"),
        (ConnectionResetError(errno.ECONNRESET, "reset"), Outcome.CONNECT_ERROR, "reset"),
    ],
)
def test_target_failures_map_to_outcomes(exc: Exception, outcome: Outcome, detail: str) -> None:
    assert classify_failure(exc) == (outcome, detail)


def test_bugs_are_not_mapped() -> None:
    assert classify_failure(KeyError("bug")) is None
    assert classify_failure(ValueError("bug")) is None
