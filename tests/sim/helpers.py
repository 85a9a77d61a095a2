"""Probing every simulated endpoint once, through the real probe code."""

from __future__ import annotations

import aiohttp

from monitor.clock import Clock, SystemClock
from monitor.models import ProbeResult
from monitor.probes.body import BodyLimits
from monitor.probes.http import HttpProbe
from monitor.probes.kinds import build_plan
from monitor.settings import Settings
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim


async def probe_all(
    cluster: SimCluster,
    session: aiohttp.ClientSession,
    *,
    timeout_s: float = 2.0,
    cap: int = 1 << 20,
    clock: Clock | None = None,
) -> dict[str, ProbeResult]:
    settings = point_at_sim(Settings(timeout_s=timeout_s), cluster.urls)
    probes = [
        HttpProbe(p, session, clock or SystemClock(), BodyLimits(cap))
        for p in build_plan(settings).probes
    ]
    return {p.plan.endpoint_id: await p.run(0.0, 0.0, 0.0) for p in probes}
