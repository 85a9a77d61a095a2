"""The control target's TCP connect, against loopback sockets."""

from __future__ import annotations

import asyncio
import socket

from monitor.clock import SystemClock
from monitor.exchanges import EndpointKind
from monitor.models import Outcome
from monitor.probes.control import TcpProbe
from monitor.probes.kinds import build_plan
from monitor.settings import Settings


def control_probe(target: str) -> TcpProbe:
    plan = build_plan(Settings(enabled_exchanges=[], control_target=target))
    (probe,) = plan.probes
    assert probe.kind is EndpointKind.CONTROL and probe.endpoint_id == "monitor.control"
    return TcpProbe(probe, SystemClock())


async def test_a_listening_target_is_ok() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        result = await control_probe(f"127.0.0.1:{port}").run(0.0, 0.0, 0.0)
    assert result.outcome is Outcome.OK


async def test_a_refusing_target_is_a_connect_failure() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        result = await control_probe(f"127.0.0.1:{port}").run(0.0, 0.0, 0.0)
    assert (result.outcome, result.detail) == (Outcome.CONNECT_ERROR, "refused")


def test_no_control_target_by_default() -> None:
    assert all(p.kind is not EndpointKind.CONTROL for p in build_plan(Settings()).probes)
