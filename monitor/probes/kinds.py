"""`PROBE_KINDS`: the registry of probe kinds (the seam is `ProbeKind` in monitor/probes/base.py).
Adding a kind is one module (its entries and its tasks) plus its line here;
tests/probes/test_kinds_contract.py checks that every member is complete."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from monitor.probes.base import ProbeContext, ProbeKind
from monitor.probes.control import TCP
from monitor.probes.http import HTTP
from monitor.probes.plan import Plan, assemble_plan
from monitor.settings import Settings
from monitor.tasks import Task

PROBE_KINDS: dict[str, ProbeKind] = {kind.name: kind for kind in (HTTP, TCP)}


def build_plan(settings: Settings, kinds: Mapping[str, ProbeKind] = PROBE_KINDS) -> Plan:
    """Every kind's probes. Raises ConfigError for a timeout longer than its interval."""
    return assemble_plan(settings, kinds)


def probe_tasks(
    plan: Plan, ctx: ProbeContext, kinds: Mapping[str, ProbeKind] = PROBE_KINDS
) -> Iterator[Task]:
    """Every kind's tasks over its own entries of the plan."""
    for name, kind in kinds.items():
        yield from kind.tasks(plan.entries(name), ctx)
