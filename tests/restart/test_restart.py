"""Restarts of a real monitor process (SIGTERM, then a new process on the same store): an
outage that ended while the monitor was down is resolved once, one that goes on does not
fire a second time and keeps its start time, silences and the incident list survive."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from monitor.clock import SystemClock
from monitor.sim.chaos import ChaosKind, ChaosRule
from tests.restart.harness import DOWN, VENUE, Monitor, world

DAY_S = 86400.0
OUTAGE = ChaosRule(venue=VENUE, kind=ChaosKind.OUTAGE, mode="refused")


async def active(monitor: Monitor, fingerprint: str) -> dict[str, Any]:
    alerts = (await monitor.get("/api/v1/alerts"))["active"]
    [found] = [a for a in alerts if a["fingerprint"] == fingerprint]
    return dict(found)


async def test_outage_ended_while_down_is_resolved_once_after_restart(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.sim.apply(OUTAGE)
        first = await w.start()
        fired = await w.hook.expect("firing", DOWN)
        await first.stop()
        await w.sim.clear(VENUE)  # the venue recovers while no monitor watches
        second = await w.start()
        resolved = await w.hook.expect("resolved", DOWN)
        await second.stop()
        assert resolved["started_at"] == fired["started_at"]
        assert w.hook.kinds(DOWN) == ["firing", "resolved"]
        assert w.unsent(DOWN) == []  # nothing more about it on its way


async def test_outage_still_on_after_restart_does_not_fire_again(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.sim.apply(OUTAGE)
        first = await w.start()
        await w.hook.expect("firing", DOWN)
        before = await active(first, DOWN)
        await first.stop()
        second = await w.start()
        await second.log("restored_alert_adopted", fingerprint=DOWN)  # found again, silently
        after = await active(second, DOWN)
        await second.stop()
        assert after["phase"] == "firing"
        assert after["started_at_s"] == before["started_at_s"]
        assert w.hook.kinds(DOWN) == ["firing"]
        assert w.unsent(DOWN) == []


async def test_silences_and_incidents_survive_restart(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.sim.apply(OUTAGE)
        first = await w.start()
        await w.hook.expect("firing", DOWN)
        ends = datetime.datetime.fromtimestamp(SystemClock().wall() + DAY_S, datetime.UTC)
        silence = {"venue": VENUE, "ends_at": ends.isoformat(), "comment": "upgrade"}
        added = await first.post("/api/v1/silences", silence)
        silences = (await first.get("/api/v1/silences"))["silences"]
        incidents = (await first.get("/api/v1/alerts"))["recent"]
        await first.stop()
        second = await w.start()
        silences_after = (await second.get("/api/v1/silences"))["silences"]
        incidents_after = (await second.get("/api/v1/alerts"))["recent"]
        await second.stop()
        assert [s["id"] for s in silences] == [added["id"]]
        assert silences_after == silences
        assert incidents and [i for i in incidents_after if i in incidents] == incidents
