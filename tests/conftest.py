"""Shared fixtures: the simulator on loopback, HTTP sessions, the aioresponses shim, and the
one environment isolation every test runs under."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core

from monitor.app import Sessions, sessions
from monitor.clock import SystemClock
from monitor.probes.kinds import build_plan
from monitor.settings import Settings
from monitor.sim.server import SimCluster
from tests.fakes import FakeClock


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's MONITOR_* variables (nor a subprocess it starts)."""
    for key in list(os.environ):
        if key.upper().startswith("MONITOR_"):
            monkeypatch.delenv(key)


class _CompatResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that
    aiohttp >= 3.14 requires (pnuckowski/aioresponses#289, fix proposed in PR #288).
    Supply a stub until upstream releases; remove this class then."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture
def mocked_http(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    monkeypatch.setattr(aioresponses_core, "ClientResponse", _CompatResponse)
    with aioresponses() as mocked:
        yield mocked


@pytest.fixture
async def sim() -> AsyncIterator[SimCluster]:
    """All five venues on loopback with the real clock and no injected latency."""
    cluster = SimCluster(SystemClock())
    await cluster.start()
    yield cluster
    await cluster.stop()


@pytest.fixture
async def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def manual_sim(fake_clock: FakeClock) -> AsyncIterator[SimCluster]:
    """The simulator on a FakeClock: its server time and market data move only when told."""
    cluster = SimCluster(fake_clock)
    await cluster.start()
    yield cluster
    await cluster.stop()


@pytest.fixture
async def http() -> AsyncIterator[Sessions]:
    settings = Settings()
    async with sessions(settings, SystemClock(), build_plan(settings)) as pair:
        yield pair
