"""The probe-kind seam. A kind (`http` today, a WebSocket `ws` stream next) owns two things:
its plan entries (how settings and venue profiles become planned probes) and its tasks (how
those entries are run). `PROBE_KINDS` (monitor/probes/kinds.py) lists the kinds; the plan and
the composition root iterate it, so nothing else branches on a kind's name.

A kind gets all of its entries at once: it may run one task per entry on a fixed schedule
(http: one request per tick), or hold one long-lived connection for many entries and publish
many records from it as they arrive. Whatever it runs publishes only bus records (the types it
lists in `records`), each stamped with `ProbeContext.origin`.
tests/probes/test_kinds_contract.py checks that every member is complete."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import aiohttp

    from monitor.bus.base import Publisher
    from monitor.clock import Clock
    from monitor.models import Origin
    from monitor.probes.body import BodyLimits
    from monitor.probes.feedback import VenueFeedback
    from monitor.probes.health import LoopLag
    from monitor.probes.plan import KindPlan, ProbePlan
    from monitor.probes.runner import Gate, ScheduleStats
    from monitor.settings import Settings
    from monitor.tasks import Task


@dataclasses.dataclass(frozen=True, slots=True)
class ProbeContext:
    """What every kind's tasks share: made once by the composition root."""

    clock: Clock
    origin: Origin  # stamped on every record a probe publishes
    gate: Gate  # the global rate, each venue's budget, the in-flight cap
    bus: Publisher
    lag: LoopLag
    stats: ScheduleStats
    feedback: VenueFeedback  # holds and clock offsets, fed by this instance's own results
    warm: aiohttp.ClientSession  # reused connections
    cold: aiohttp.ClientSession  # a new connection each time
    limits: BodyLimits  # how much of an answer (a body, a message) is read


class ProbeKind(Protocol):
    """A family of probes: its entries in the plan and the tasks that run them."""

    @property
    def name(self) -> str:
        """Its key in `PROBE_KINDS`; stamped on its entries as `ProbePlan.probe_kind`."""
        ...

    @property
    def records(self) -> tuple[type, ...]:
        """The bus record types its tasks publish (each one registered with the codec)."""
        ...

    def plan(self, settings: Settings) -> KindPlan:
        """Its planned probes and the request budgets of their venues. Pure: no I/O."""
        ...

    def tasks(self, entries: Sequence[ProbePlan], ctx: ProbeContext) -> list[Task]:
        """The tasks that run `entries` (its own, as planned) until cancelled."""
        ...
