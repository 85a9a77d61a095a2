"""The simulator's control API and chaos timelines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from monitor.__main__ import builtin_timeline
from monitor.exchanges import EXCHANGES
from monitor.sim.chaos import ChaosKind
from monitor.sim.control import control_app
from monitor.sim.server import SimCluster
from monitor.sim.timeline import Timeline, cues


@pytest.fixture
async def control(sim: SimCluster) -> AsyncIterator[str]:
    server = TestServer(control_app(sim), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def test_apply_list_and_clear(control: str, sim: SimCluster) -> None:
    async with aiohttp.ClientSession() as session:
        rule = {"venue": "okx", "endpoint": "ticker", "kind": "latency_spike", "latency_ms": 900}
        async with session.post(f"{control}/chaos", json=rule) as response:
            assert response.status == 200
        async with session.get(f"{control}/chaos") as response:
            rules = (await response.json())["rules"]
        assert [(r["venue"], r["kind"], r["latency_ms"]) for r in rules] == [
            ("okx", "latency_spike", 900)
        ]
        async with session.delete(f"{control}/chaos", params={"venue": "okx"}) as response:
            assert response.status == 200
        assert sim.board.snapshot() == []
        async with session.get(f"{control}/venues") as response:
            assert set(await response.json()) == set(EXCHANGES)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"venue": "okx", "kind": "meteor"}, 400),
        ({"venue": "okx", "kind": "hang", "colour": "red"}, 400),
        ({"venue": "ftx", "kind": "hang"}, 404),
        ({"venue": "okx", "endpoint": "ping", "kind": "hang"}, 404),
    ],
)
async def test_bad_rules_are_clear_errors(control: str, body: dict[str, str], status: int) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{control}/chaos", json=body) as response,
    ):
        assert response.status == status
        assert "error" in await response.json()


def test_timeline_cues_end_before_start_and_demo_timeline_loads() -> None:
    timeline = Timeline.model_validate(
        {
            "steps": [
                {"at_s": 5, "venue": "okx", "kind": "outage", "duration_s": 5},
                {"at_s": 10, "venue": "okx", "kind": "hang"},
            ]
        }
    )
    order = [(c.at_s, c.rule.kind) for c in cues(timeline)]
    assert order == [(5, ChaosKind.OUTAGE), (10, ChaosKind.HEALTHY), (10, ChaosKind.HANG)]
    demo = builtin_timeline()
    assert demo.repeat_s and {s.venue for s in demo.steps} == {
        "binance",
        "okx",
        "bybit",
        "coinbase",
        "kraken",
    }


def test_demo_timeline_shows_a_scheduled_maintenance() -> None:
    demo = builtin_timeline()
    (step,) = [s for s in demo.steps if s.kind is ChaosKind.SCHEDULED_MAINTENANCE]
    assert step.at_s + step.starts_in_s + step.window_s <= step.at_s + (step.duration_s or 0)
    assert step.at_s + (step.duration_s or 0) <= (demo.repeat_s or 0)


def test_demo_timeline_shows_an_access_block() -> None:
    demo = builtin_timeline()
    blocked = [s for s in demo.steps if s.kind is ChaosKind.GEO_BLOCK]
    assert blocked and all(s.at_s + (s.duration_s or 0) <= (demo.repeat_s or 0) for s in blocked)
