"""Terminal output of probe results: JSON lines (`run`, until the detector consumes them)
and a live per-endpoint table (`demo`)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TextIO

import orjson

from monitor.app import Runtime
from monitor.clock import Clock
from monitor.models import ProbeResult


async def print_results(runtime: Runtime, stream: TextIO) -> None:
    """Every result as one JSON object per line."""
    while True:
        result = await runtime.results.get()
        stream.write(orjson.dumps(result).decode() + "\n")


@dataclasses.dataclass(slots=True)
class EndpointTally:
    last: ProbeResult
    probes: int = 0
    served: int = 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def render_table(tallies: dict[str, EndpointTally], runtime: Runtime) -> str:
    head = (
        f"exchange-monitor: {len(runtime.plan.probes)} endpoints, {runtime.stats.probes} probes,"
        f" missed ticks {runtime.stats.missed_ticks}, dropped {runtime.results.dropped},"
        f" loop lag {runtime.lag.current_s * 1000:.1f} ms"
    )
    cols = f"{'ENDPOINT':<20} {'OUTCOME':<15} {'LAT ms':>8} {'DNS':>6} {'CONN':>6} {'TTFB':>7}"
    cols += f" {'OK/N':>9} {'OFFSET ms':>10}  DETAIL"
    lines = [head, cols]
    for endpoint_id in sorted(tallies):
        t = tallies[endpoint_id]
        r = t.last
        ph = r.phases
        offset = "-" if r.clock_offset_s is None else f"{r.clock_offset_s * 1000:+.0f}"
        lines.append(
            f"{endpoint_id:<20} {r.outcome.value:<15} {_ms(r.latency_s):>8}"
            f" {_ms(ph.dns_s if ph else None):>6} {_ms(ph.connect_s if ph else None):>6}"
            f" {_ms(ph.ttfb_s if ph else None):>7} {f'{t.served}/{t.probes}':>9} {offset:>10}"
            f"  {(r.detail or '')[:60]}"
        )
    return "\n".join(lines)


def tally(tallies: dict[str, EndpointTally], result: ProbeResult) -> None:
    entry = tallies.get(result.endpoint_id)
    if entry is None:
        entry = tallies[result.endpoint_id] = EndpointTally(result)
    entry.last = result
    entry.probes += 1
    entry.served += result.outcome.is_success


async def live_table(runtime: Runtime, clock: Clock, stream: TextIO, every_s: float) -> None:
    """Redraw the per-endpoint table every `every_s` seconds."""
    tallies: dict[str, EndpointTally] = {}
    due = clock.monotonic()
    while True:
        due += every_s
        await clock.sleep_until(due)
        while True:
            try:
                tally(tallies, runtime.results.get_nowait())
            except asyncio.QueueEmpty:
                break
        stream.write(render_table(tallies, runtime) + "\n\n")
        stream.flush()
