"""The `tcp` probe kind, the control target: a TCP connect to a well-known address
(MONITOR_CONTROL_TARGET), run on the probe schedule. It is a witness, not a target: it raises
no alert of its own, and its failure is what tells LOCAL_NETWORK that venues timing out mean
our own network."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence

from monitor.clock import Clock
from monitor.exchanges import EndpointKind
from monitor.exchanges.http_target import HttpCheck, interpret_http
from monitor.models import UNKNOWN_ORIGIN, Origin, Outcome, ProbeResult
from monitor.probes.base import ProbeContext
from monitor.probes.failures import classify_failure
from monitor.probes.plan import KindPlan, ProbePlan
from monitor.probes.runner import scheduled_tasks
from monitor.settings import CONTROL_VENUE, Settings
from monitor.tasks import Task


def host_port(target: str) -> tuple[str, int]:
    """ "host:port" (as the setting validates it) -> (host, port)."""
    host, _, port = target.rpartition(":")
    return host, int(port)


class TcpProbe:
    """Connects and closes; `run()` never raises for a target failure (style rule 10)."""

    __slots__ = ("_clock", "_host", "_origin", "_plan", "_port")

    def __init__(self, plan: ProbePlan, clock: Clock, origin: Origin = UNKNOWN_ORIGIN) -> None:
        self._plan = plan
        self._clock = clock
        self._origin = origin
        self._host, self._port = host_port(plan.url.removeprefix("tcp://"))

    @property
    def plan(self) -> ProbePlan:
        return self._plan

    async def run(self, scheduled_s: float, sched_lag_s: float, loop_lag_s: float) -> ProbeResult:
        plan, clock = self._plan, self._clock
        wall0, t0 = clock.wall(), clock.monotonic()
        outcome, detail = Outcome.OK, None
        try:
            async with asyncio.timeout(plan.timeout_s):
                _, writer = await asyncio.open_connection(self._host, self._port)
                writer.close()
                await writer.wait_closed()
        except Exception as exc:
            mapped = classify_failure(exc)
            if mapped is None:
                raise
            outcome, detail = mapped
        return ProbeResult(
            plan.endpoint_id,
            plan.venue,
            plan.endpoint,
            outcome,
            scheduled_s,
            wall0,
            clock.monotonic() - t0,
            sched_lag_s,
            loop_lag_s,
            detail=detail,
            fresh_connection=True,
            origin=self._origin,
        )


def control_entries(settings: Settings) -> KindPlan:
    """The control target's TCP connect, on the global schedule, when one is configured."""
    target = settings.control_target
    if target is None:
        return KindPlan((), {})
    probe = ProbePlan(
        endpoint_id=f"{CONTROL_VENUE}.control",
        venue=CONTROL_VENUE,
        endpoint="control",
        url=f"tcp://{target}",
        method="CONNECT",
        interval_s=settings.interval_s,
        timeout_s=settings.timeout_s,
        fresh_connection=True,
        weight=1,
        offset_s=0.0,
        kind=EndpointKind.CONTROL,
        interpret=functools.partial(interpret_http, HttpCheck()),  # it reads no HTTP answer
    )
    return KindPlan((probe,), {})


class TcpKind:
    """A TCP connect on a fixed schedule: one `TcpProbe` in one `probe_loop` per entry."""

    name = "tcp"
    records: tuple[type, ...] = (ProbeResult,)

    def plan(self, settings: Settings) -> KindPlan:
        return control_entries(settings)

    def tasks(self, entries: Sequence[ProbePlan], ctx: ProbeContext) -> list[Task]:
        return scheduled_tasks(entries, ctx, lambda plan: TcpProbe(plan, ctx.clock, ctx.origin))


TCP = TcpKind()
