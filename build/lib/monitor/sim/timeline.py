"""Chaos timelines: steps at offsets from the start, each optionally bounded by a duration,
optionally repeating. Loaded from TOML:

    repeat_s = 120            # optional: replay the whole timeline every 120 s
    [[steps]]
    at_s = 10
    venue = "okx"
    kind = "outage"
    duration_s = 15           # optional: back to healthy after 15 s
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pydantic

from monitor.clock import Clock
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster


class TimelineStep(ChaosRule):
    at_s: float = pydantic.Field(ge=0)
    duration_s: float | None = pydantic.Field(default=None, gt=0)


class Timeline(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    repeat_s: float | None = pydantic.Field(default=None, gt=0)
    steps: list[TimelineStep] = pydantic.Field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class Cue:
    at_s: float
    rule: ChaosRule  # a HEALTHY rule ends a step


def load_timeline(path: Path) -> Timeline:
    with path.open("rb") as handle:
        return Timeline.model_validate(tomllib.load(handle))


def cues(timeline: Timeline) -> list[Cue]:
    """Every change in time order; a step's end comes before a start at the same instant."""
    out: list[tuple[float, int, ChaosRule]] = []
    for step in timeline.steps:
        rule = ChaosRule.model_validate(step.model_dump(exclude={"at_s", "duration_s"}))
        out.append((step.at_s, 1, rule))
        if step.duration_s is not None:
            end = rule.model_copy(update={"kind": ChaosKind.HEALTHY})
            out.append((step.at_s + step.duration_s, 0, end))
    return [Cue(at, rule) for at, _, rule in sorted(out, key=lambda c: (c[0], c[1]))]


async def play(timeline: Timeline, cluster: SimCluster, clock: Clock) -> None:
    """Apply the cues on schedule; repeat (after clearing) when the timeline says so."""
    schedule = cues(timeline)
    start = clock.monotonic()
    while True:
        for cue in schedule:
            await clock.sleep_until(start + cue.at_s)
            await cluster.apply(cue.rule)
        if timeline.repeat_s is None:
            return
        start += timeline.repeat_s
        await clock.sleep_until(start)
        await cluster.clear()
