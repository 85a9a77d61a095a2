"""The probe-kind contract: what every member of `PROBE_KINDS` must carry, checked against a
loopback server. `await problems(kind, fixture)` lists what is missing (empty when complete):

- a name fit for settings and task names, and every `ProbeKind` method (`plan`, `tasks`);
- `records`: bus record types, each registered with the codec;
- a contract fixture (settings that plan at least one of its entries, given the loopback
  server's base URL); their endpoint ids unique;
- run for real: its tasks start, publish a record of a type it lists, stamped with the
  context's origin, for one of its planned endpoints, that survives the bus codec unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiolimiter import AsyncLimiter

from monitor import app
from monitor.bus import codec
from monitor.bus.records import BY_CLASS, Record
from monitor.clock import SystemClock
from monitor.models import Origin
from monitor.probes.base import ProbeContext, ProbeKind
from monitor.probes.body import BodyLimits
from monitor.probes.feedback import VenueFeedback
from monitor.probes.health import LoopLag
from monitor.probes.plan import Plan, assemble_plan
from monitor.probes.runner import Gate, ScheduleStats
from monitor.settings import Settings

Fixture = Callable[[str], Settings]  # the loopback server's base URL -> settings
ORIGIN = Origin("contract", "loopback")
NAME = r"^[a-z][a-z0-9_]{0,30}$"
WAIT_S = 5.0


class Recorder:
    """A Publisher that keeps every record."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.got = asyncio.Event()

    def publish(self, record: Record) -> None:
        self.records.append(record)
        self.got.set()


def _identity_problems(kind: ProbeKind) -> list[str]:
    found = []
    if not re.fullmatch(NAME, str(getattr(kind, "name", ""))):
        found.append(f"name {getattr(kind, 'name', None)!r} does not match {NAME}")
    methods = [n for n, v in vars(ProbeKind).items() if inspect.isfunction(v) and n[0] != "_"]
    found += [f"lacks {n}()" for n in methods if not callable(getattr(kind, n, None))]
    records = getattr(kind, "records", ())
    if not records:
        found.append("lists no record types (records)")
    found += [f"{r!r} is not a bus record" for r in records if r not in BY_CLASS]
    return found


async def _answer(request: web.Request) -> web.Response:
    del request
    return web.json_response({"ok": True})


@contextlib.asynccontextmanager
async def loopback() -> AsyncIterator[str]:
    server = TestServer(web.Application(), host="127.0.0.1")
    server.app.router.add_route("*", "/{tail:.*}", _answer)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def _context(settings: Settings, plan: Plan, http: app.Sessions, bus: Recorder) -> ProbeContext:
    gate = Gate(AsyncLimiter(1000, 1.0), {}, asyncio.Semaphore(10))
    limits = BodyLimits(settings.body_max_bytes, settings.body_max_ratio)
    return ProbeContext(
        clock=SystemClock(),
        origin=ORIGIN,
        gate=gate,
        bus=bus,
        lag=LoopLag(),
        stats=ScheduleStats(),
        feedback=VenueFeedback(),
        warm=http.warm,
        cold=http.cold,
        limits=limits,
    )


async def _first_records(kind: ProbeKind, settings: Settings, plan: Plan) -> list[Record]:
    """Runs the kind's tasks until they publish; raises what a task raised."""
    recorder = Recorder()
    async with app.sessions(settings, SystemClock(), plan) as http:
        ctx = _context(settings, plan, http, recorder)
        tasks = [asyncio.create_task(f(), name=n) for n, f in kind.tasks(plan.probes, ctx)]
        got = asyncio.create_task(recorder.got.wait())
        try:
            await asyncio.wait([got, *tasks], timeout=WAIT_S, return_when="FIRST_COMPLETED")
        finally:
            for task in [got, *tasks]:
                task.cancel()
            await asyncio.gather(got, *tasks, return_exceptions=True)
        for task in tasks:
            failure = None if task.cancelled() else task.exception()
            if failure is not None:
                raise failure
    return recorder.records


def _record_problems(kind: ProbeKind, plan: Plan, records: list[Record]) -> list[str]:
    if not records:
        return [f"its tasks published no record within {WAIT_S:g} s"]
    planned = {p.endpoint_id for p in plan.probes}
    found = []
    for record in records:
        name = type(record).__name__
        if type(record) not in kind.records:
            found.append(f"published a {name}, not among its records")
        if getattr(record, "origin", None) != ORIGIN:
            found.append(f"{name} not stamped with the context's origin")
        endpoint = getattr(record, "endpoint_id", None)
        if endpoint is not None and endpoint not in planned:
            found.append(f"{name} for {endpoint!r}, which it did not plan")
        try:
            if codec.decode(codec.encode(record)) != record:
                found.append(f"{name} does not survive the bus codec unchanged")
        except codec.CodecError as exc:
            found.append(f"{name} fails the bus codec: {exc}")
    return sorted(set(found))


async def problems(kind: ProbeKind, fixture: Fixture | None) -> list[str]:
    found = _identity_problems(kind)
    if found:
        return found
    if fixture is None:
        return [f"{kind.name}: no contract fixture (tests/probes/test_kinds_contract.py)"]
    async with loopback() as base_url:
        settings = fixture(base_url)
        plan = assemble_plan(settings, {kind.name: kind})
        ids = [p.endpoint_id for p in plan.probes]
        if not ids:
            return ["its fixture plans no entry"]
        if len(set(ids)) != len(ids):
            return ["its entries' endpoint_ids are not unique"]
        try:
            records = await _first_records(kind, settings, plan)
        except Exception as exc:  # a task that crashes is a finding, not a crash
            return [f"a task raised {type(exc).__name__}: {exc}"]
        return _record_problems(kind, plan, records)
