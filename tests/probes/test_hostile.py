"""The hostile-target table: real loopback servers that misbehave, one row per way.

Each row asserts the outcome, its detail, and that the probe took in no more than the cap.
The table is parametrised over a probe factory, so that another transport (a second HTTP
client, a websocket probe) runs the same rows by adding its factory to `FACTORIES`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from monitor.app import Sessions
from monitor.clock import SystemClock
from monitor.exchanges.http_target import HttpCheck
from monitor.models import Outcome
from monitor.probes.body import BodyLimits
from monitor.probes.http import HttpProbe
from monitor.probes.runner import Probe
from monitor.sim.hostile import UNRESOLVABLE_URL, Hostile, HostileServer
from tests.probes.helpers import http_plan

CAP = 256 * 1024
BOMB_BYTES = 8 << 20  # inflates 32 times past the cap
CHECK = HttpCheck(json_field="status", json_equals="ok")

ProbeFactory = Callable[[str, BodyLimits, float], Probe]


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    target: Hostile | str  # a case of the hostile server, or "tls" / "unresolvable"
    outcome: Outcome
    detail: str | None
    timeout_s: float = 5.0  # rows that must not time out get a deadline they cannot meet late


OVER = f"body over {CAP} bytes"
DECODED_OVER = f"decoded body over {CAP} bytes"
RATIO = "compression ratio over 200:1"  # br and zstd pack zeros far tighter than gzip
ROWS = [
    Row(Hostile.OK, Outcome.OK, None),
    Row(Hostile.BIG_LENGTH, Outcome.BAD_PAYLOAD, OVER),
    Row(Hostile.BIG_CHUNKED, Outcome.BAD_PAYLOAD, OVER),
    Row(Hostile.GZIP_BOMB_LENGTH, Outcome.BAD_PAYLOAD, DECODED_OVER),
    Row(Hostile.GZIP_BOMB_CHUNKED, Outcome.BAD_PAYLOAD, DECODED_OVER),
    Row(Hostile.DEFLATE_BOMB_LENGTH, Outcome.BAD_PAYLOAD, DECODED_OVER),
    Row(Hostile.DEFLATE_BOMB_CHUNKED, Outcome.BAD_PAYLOAD, DECODED_OVER),
    Row(Hostile.BR_BOMB_LENGTH, Outcome.BAD_PAYLOAD, RATIO),
    Row(Hostile.BR_BOMB_CHUNKED, Outcome.BAD_PAYLOAD, RATIO),
    Row(Hostile.ZSTD_BOMB_LENGTH, Outcome.BAD_PAYLOAD, RATIO),
    Row(Hostile.ZSTD_BOMB_CHUNKED, Outcome.BAD_PAYLOAD, RATIO),
    Row(Hostile.BR_SMALL, Outcome.OK, None),
    Row(Hostile.ZSTD_SMALL, Outcome.OK, None),
    Row(Hostile.SLOW_BODY, Outcome.TIMEOUT, "deadline exceeded", timeout_s=0.3),
    Row(Hostile.ENDLESS_HEADERS, Outcome.TIMEOUT, "deadline exceeded", timeout_s=0.3),
    Row(Hostile.SILENT, Outcome.TIMEOUT, "deadline exceeded", timeout_s=0.3),
    Row(Hostile.RESET_MID_BODY, Outcome.CONNECT_ERROR, "body cut short"),
    Row(Hostile.BAD_GZIP, Outcome.BAD_PAYLOAD, "undecodable body"),
    Row(Hostile.BAD_UTF8, Outcome.BAD_PAYLOAD, "invalid JSON"),
    Row(Hostile.DEEP_JSON, Outcome.BAD_PAYLOAD, "invalid JSON"),
    Row(Hostile.HUGE_HEADER, Outcome.BAD_PAYLOAD, "malformed HTTP response"),
    Row(Hostile.MANY_HEADERS, Outcome.BAD_PAYLOAD, "malformed HTTP response"),
    Row(Hostile.REDIRECT_LOOP, Outcome.HTTP_ERROR, "HTTP 302"),  # not followed
    Row(Hostile.REDIRECT_OFF_HOST, Outcome.HTTP_ERROR, "HTTP 302"),  # followed, it fails DNS
    Row(Hostile.HTTP10_NO_LENGTH, Outcome.BAD_PAYLOAD, OVER),
    Row("tls", Outcome.CONNECT_ERROR, "tls"),
    Row("unresolvable", Outcome.CONNECT_ERROR, "dns"),
]


def http_factory(session: aiohttp.ClientSession) -> ProbeFactory:
    def make(url: str, limits: BodyLimits, timeout_s: float) -> Probe:
        plan = http_plan(url, timeout_s=timeout_s, check=CHECK)
        return HttpProbe(plan, session, SystemClock(), limits)

    return make


FACTORIES: dict[str, Callable[[Sessions], ProbeFactory]] = {
    "aiohttp": lambda http: http_factory(http.warm),
}


@pytest.fixture(params=sorted(FACTORIES))
def probe_factory(request: pytest.FixtureRequest, http: Sessions) -> ProbeFactory:
    return FACTORIES[request.param](http)


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    server = HostileServer(SystemClock(), bomb_bytes=BOMB_BYTES)
    await server.start()
    yield server
    await server.stop()


def target_url(server: HostileServer, target: Hostile | str) -> str:
    if target == "tls":
        return server.tls_url
    if target == "unresolvable":
        return UNRESOLVABLE_URL
    assert isinstance(target, Hostile)
    return server.url(target)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: str(row.target))
async def test_hostile_target(
    row: Row, hostile: HostileServer, probe_factory: ProbeFactory
) -> None:
    probe = probe_factory(target_url(hostile, row.target), BodyLimits(CAP), row.timeout_s)
    result = await probe.run(0.0, 0.0, 0.0)
    assert (result.outcome, result.detail) == (row.outcome, row.detail)
    assert result.body_bytes <= CAP + 1


@pytest.mark.parametrize(
    "case",
    [
        Hostile.BR_BOMB_LENGTH,
        Hostile.BR_BOMB_CHUNKED,
        Hostile.ZSTD_BOMB_LENGTH,
        Hostile.ZSTD_BOMB_CHUNKED,
    ],
)
async def test_decoded_cap_stops_a_bomb_whatever_the_ratio(
    case: Hostile, hostile: HostileServer, probe_factory: ProbeFactory
) -> None:
    probe = probe_factory(hostile.url(case), BodyLimits(CAP, max_ratio=1e9), 5.0)
    result = await probe.run(0.0, 0.0, 0.0)
    assert (result.outcome, result.detail) == (Outcome.BAD_PAYLOAD, DECODED_OVER)
    assert result.body_bytes <= CAP + 1


async def test_ratio_limit_stops_a_bomb_under_a_large_cap(
    hostile: HostileServer, probe_factory: ProbeFactory
) -> None:
    probe = probe_factory(hostile.url(Hostile.GZIP_BOMB_CHUNKED), BodyLimits(1 << 30, 100), 5.0)
    result = await probe.run(0.0, 0.0, 0.0)
    assert (result.outcome, result.detail) == (Outcome.BAD_PAYLOAD, "compression ratio over 100:1")
    assert result.body_bytes < 1 << 20
