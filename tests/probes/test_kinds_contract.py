"""The contract over the `PROBE_KINDS` registry: every member is complete; a toy second kind
(one module's worth of code below) runs through the plan, the composition root and the
detector once registered by one line; the contract fails on incomplete kinds."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from monitor import app
from monitor.clock import SystemClock
from monitor.exchanges import EndpointKind, Interpretation
from monitor.models import Outcome, ProbeResult
from monitor.probes.base import ProbeContext, ProbeKind
from monitor.probes.kinds import PROBE_KINDS, build_plan
from monitor.probes.plan import KindPlan, ProbePlan
from monitor.settings import NotifySettings, Settings, TargetSettings
from monitor.store.history import StoreSettings
from monitor.tasks import Task
from monitor.web.config import WebSettings
from tests.probes import kinds_contract


def target_settings(base_url: str) -> Settings:
    """One generic target on the loopback server, probed fast."""
    target = TargetSettings(name="contract", url=f"{base_url}/health")
    return Settings(enabled_exchanges=[], targets=[target], interval_s=0.1, timeout_s=0.1)


def control_settings(base_url: str) -> Settings:
    """The control target: a TCP connect to the loopback server."""
    host_port = base_url.removeprefix("http://")
    return Settings(enabled_exchanges=[], control_target=host_port, interval_s=0.1, timeout_s=0.1)


# Each kind's contract fixture: settings that plan at least one of its entries.
FIXTURES: dict[str, kinds_contract.Fixture] = {"http": target_settings, "tcp": control_settings}


@pytest.mark.parametrize("name", PROBE_KINDS)
async def test_every_registered_kind_is_complete(name: str) -> None:
    kind = PROBE_KINDS[name]
    assert kind.name == name
    assert await kinds_contract.problems(kind, FIXTURES.get(name)) == []


# --- a toy second kind: what `monitor/probes/tick.py` would hold ----------------------------


def _no_body(status: int, headers: object, body: bytes, now_s: float) -> Interpretation:
    del status, headers, body, now_s
    return Interpretation(Outcome.OK)


@dataclasses.dataclass(frozen=True)
class TickKind:
    """One entry per target, all served by ONE task that publishes a record for every entry
    at each of its ticks: the shape of a stream kind (one connection, many records)."""

    name: str = "tick"
    records: tuple[type, ...] = (ProbeResult,)
    fault: str = ""  # for the contract's own tests: "nan" | "origin"

    def plan(self, settings: Settings) -> KindPlan:
        probes = tuple(
            ProbePlan(
                endpoint_id=f"{t.name}.tick",
                venue=t.name,
                endpoint="tick",
                url=t.url,
                method="GET",
                interval_s=settings.interval_s,
                timeout_s=settings.timeout_s,
                fresh_connection=False,
                weight=0,
                offset_s=0.0,
                kind=EndpointKind.HTTP,
                interpret=_no_body,
            )
            for t in settings.targets
        )
        return KindPlan(probes, {})

    def tasks(self, entries: Sequence[ProbePlan], ctx: ProbeContext) -> list[Task]:
        return [("probe:tick", functools.partial(self._stream, tuple(entries), ctx))]

    async def _stream(self, entries: tuple[ProbePlan, ...], ctx: ProbeContext) -> None:
        other = dataclasses.replace(ctx.origin, instance="elsewhere")
        origin = other if self.fault == "origin" else ctx.origin
        latency = math.nan if self.fault == "nan" else 0.0
        while True:
            now, wall = ctx.clock.monotonic(), ctx.clock.wall()
            for p in entries:
                result = ProbeResult(
                    p.endpoint_id, p.venue, p.endpoint, Outcome.OK, now, wall, latency, 0.0, 0.0
                )
                ctx.bus.publish(dataclasses.replace(result, origin=origin))
            await ctx.clock.sleep(entries[0].interval_s)


TICK = TickKind()


async def test_the_toy_kind_is_complete() -> None:
    assert await kinds_contract.problems(TICK, target_settings) == []


async def test_a_new_kind_is_one_module_and_one_registry_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PROBE_KINDS, "tick", TICK)  # the line it adds in kinds.py
    async with kinds_contract.loopback() as base_url:
        settings = target_settings(base_url).model_copy(
            update={
                "notify": NotifySettings(outbox_path=tmp_path / "outbox.sqlite3"),
                "store": StoreSettings(path=tmp_path / "history.sqlite3"),
                "web": WebSettings(enabled=False),
            }
        )
        assert [p.probe_kind for p in build_plan(settings).probes] == ["http", "tick"]
        stop, seen = asyncio.Event(), set[str]()

        async def both_kinds(runtime: app.Runtime) -> None:
            results = runtime.bus.subscribe(ProbeResult, "test", 100)
            while len(seen) < 2:
                seen.add((await results.get()).endpoint_id)
            stop.set()

        async with asyncio.timeout(10):
            runtime = await app.run(settings, SystemClock(), stop, both_kinds)
    assert seen == {"contract.http", "contract.tick"}
    assert {"contract.http", "contract.tick"} <= set(runtime.detector.endpoints)


# --- incomplete kinds: the contract names what is missing -----------------------------------


class NoTasks:
    name = "notasks"
    records: tuple[type, ...] = (ProbeResult,)

    def plan(self, settings: Settings) -> KindPlan:
        return TICK.plan(settings)


class NoPlan:
    name = "noplan"
    records: tuple[type, ...] = (ProbeResult,)

    def tasks(self, entries: Sequence[ProbePlan], ctx: ProbeContext) -> list[Task]:
        return TICK.tasks(entries, ctx)


@dataclasses.dataclass(frozen=True)
class NotARecord:
    value: int


INCOMPLETE: list[tuple[object, kinds_contract.Fixture | None, str]] = [
    (NoTasks(), target_settings, "lacks tasks()"),
    (NoPlan(), target_settings, "lacks plan()"),
    (TickKind(records=()), target_settings, "lists no record types"),
    (TickKind(records=(NotARecord,)), target_settings, "is not a bus record"),
    (TickKind(name="Tick!"), target_settings, "does not match"),
    (TICK, None, "no contract fixture"),
    (TICK, lambda url: Settings(enabled_exchanges=[]), "plans no entry"),
    (TickKind(fault="nan"), target_settings, "fails the bus codec"),
    (TickKind(fault="origin"), target_settings, "not stamped with the context's origin"),
]


@pytest.mark.parametrize(("kind", "fixture", "want"), INCOMPLETE, ids=[w for *_, w in INCOMPLETE])
async def test_the_contract_fails_on_an_incomplete_kind(
    kind: ProbeKind, fixture: kinds_contract.Fixture | None, want: str
) -> None:
    found = await kinds_contract.problems(kind, fixture)
    assert any(want in problem for problem in found), found
