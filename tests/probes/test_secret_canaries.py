"""Canary secrets reflected by a target never leave the probe, whole or in part.

The target copies the header it was sent into the JSON field the check reads, so the check's
failure detail quotes it; placed near the 200-character cut, truncation would split it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.app import Sessions
from monitor.clock import SystemClock
from monitor.exchanges.base import DETAIL_MAX_CHARS
from monitor.models import ProbeResult
from monitor.probes.body import BodyLimits
from monitor.probes.http import HttpProbe
from monitor.probes.kinds import build_plan
from monitor.secrets import REDACTED, Scrubber, secret_values
from monitor.settings import Settings

CANARIES = [
    "canary-Xk29fQ7mZp41LwB8",
    'canary/with"quote\\and/slashes',  # JSON-escaped on the wire
    "canary-é-ünïcode-ключ",  # escaped as \uXXXX by some servers
]
PREFIX = "status == 'ok' failed (got '"


@pytest.fixture
async def reflector() -> AsyncIterator[str]:
    """Answers {"status": <padding><X-Api-Key>} with the padding asked for in the query."""

    async def handler(request: web.Request) -> web.Response:
        pad = "p" * int(request.query.get("pad", "0"))
        value = pad + request.headers["X-Api-Key"]
        ascii_only = request.query.get("ascii") == "1"
        body = orjson.dumps({"status": value}) if not ascii_only else _ascii_json(value)
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


def _ascii_json(value: str) -> bytes:
    return json.dumps({"status": value}).encode()  # non-ASCII as \uXXXX


def texts(result: ProbeResult) -> str:
    return orjson.dumps(result.as_dict()).decode()


def leaks(secret: str, text: str, run: int = 8) -> list[str]:
    """Every `run`-character piece of the secret found in the text."""
    pieces = {secret[i : i + run] for i in range(len(secret) - run + 1)}
    return sorted(piece for piece in pieces if piece in text)


async def probe_target(http: Sessions, url: str, secret: str) -> ProbeResult:
    settings = Settings(
        enabled_exchanges=[],
        targets=[
            {
                "name": "echo",
                "url": url,
                "headers": {"X-Api-Key": secret},
                "json_field": "status",
                "json_equals": "ok",
            }
        ],
    )
    (plan,) = build_plan(settings).probes
    return await HttpProbe(plan, http.warm, SystemClock(), BodyLimits(1 << 16)).run(0.0, 0.0, 0.0)


@pytest.mark.parametrize("secret", CANARIES)
@pytest.mark.parametrize("ascii_only", [False, True])
async def test_reflected_header_value_is_redacted(
    http: Sessions, reflector: str, secret: str, ascii_only: bool
) -> None:
    result = await probe_target(http, f"{reflector}?ascii={int(ascii_only)}", secret)
    assert result.detail == f"{PREFIX}{REDACTED}')"
    assert leaks(secret, texts(result)) == []


@pytest.mark.parametrize("secret", CANARIES[:1])
@pytest.mark.parametrize("before_cut", [1, 5, 10, 15])
async def test_secret_straddling_the_truncation_cut_leaks_no_part(
    http: Sessions, reflector: str, secret: str, before_cut: int
) -> None:
    pad = DETAIL_MAX_CHARS - 1 - len(PREFIX) - before_cut  # the secret starts just before the cut
    result = await probe_target(http, f"{reflector}?pad={pad}", secret)
    assert result.detail is not None and len(result.detail) <= DETAIL_MAX_CHARS
    assert leaks(secret, texts(result)) == []


def test_every_secret_in_the_settings_is_found() -> None:
    settings = Settings(
        enabled_exchanges=["binance"],
        exchanges={"binance": {"credentials": {"api_key": "k" * 12, "api_secret": "s" * 12}}},
        targets=[{"name": "t", "url": "http://127.0.0.1:1/", "headers": {"A": "h" * 12}}],
        notify={"channels": [{"type": "slack", "name": "s", "url": "http://127.0.0.1/" + "u" * 9}]},
        triage={"llm": {"api_key": "l" * 12}},
    )
    found = set(secret_values(settings))
    assert {"k" * 12, "s" * 12, "h" * 12, "l" * 12, "http://127.0.0.1/" + "u" * 9} <= found
    assert all(set(p.scrub) == found for p in build_plan(settings).probes)


def test_scrubber_takes_the_token_of_a_scheme_and_skips_short_values() -> None:
    scrub = Scrubber(["Bearer tok-1234567890", "2"])
    assert scrub.text("got tok-1234567890 and Bearer tok-1234567890") == (
        f"got {REDACTED} and {REDACTED}"
    )
    assert scrub.body(b'{"n":2}') == b'{"n":2}'  # "2" is too short to be a secret
    assert "tok-" not in repr(scrub)
