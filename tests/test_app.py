"""The composed pipeline against the simulator: results flow, and stopping leaves nothing."""

from __future__ import annotations

import asyncio

from monitor import app
from monitor.clock import SystemClock
from monitor.models import Outcome, ProbeResult
from monitor.settings import Settings
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim


async def test_pipeline_runs_and_stops_with_zero_tasks_left() -> None:
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    settings = point_at_sim(Settings(interval_s=0.2, timeout_s=1.0), cluster.urls)
    stop = asyncio.Event()
    seen: dict[str, ProbeResult] = {}

    async def collect(runtime: app.Runtime) -> None:
        while len(seen) < len(runtime.plan.probes):
            result = await runtime.results.get()
            seen[result.endpoint_id] = result
        stop.set()

    async with asyncio.timeout(10):
        runtime = await app.run(settings, clock, stop, collect)
    await cluster.stop()
    assert len(seen) == 16
    assert all(r.outcome is Outcome.OK for r in seen.values())
    assert all(r.sched_lag_s >= 0 and r.loop_lag_s >= 0 for r in seen.values())
    assert runtime.results.dropped == 0
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_keepalive_outlasts_the_longest_interval() -> None:
    from monitor.probes.plan import build_plan  # noqa: PLC0415

    plan = build_plan(Settings(interval_s=60.0))
    assert app.keepalive_s(plan) > 60.0
