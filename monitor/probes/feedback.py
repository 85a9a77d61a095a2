"""VenueFeedback: what the venues' own answers tell the next probes of stage 1.

Two facts flow back from a result to later probes: a venue that said "stop" (Retry-After, an
IP ban) must not be probed until then, by any of its endpoints, or the ban escalates; and a
signed request must carry a timestamp on the venue's clock, so the last measured offset
corrects ours.

Design. Before, the probe and the runner shared two mutable dicts on the `Gate`: the runner
wrote offsets the probe read, a channel that no record showed. Here both facts are derived
from `ProbeResult`s only, the one record stage 1 produces: this object is fed results and
answers questions; nothing else writes it, and replaying results rebuilds it exactly.

It is fed synchronously by the runner, with the result in hand, not as a bus subscriber:
- a bus subscription drops its oldest records when it falls behind, and the dropped one could
  be the 418 ban; a hold must never be lost;
- the hold must be in force before the venue's next tick, not a task switch later;
- it costs the hot path nothing (no extra queue per result);
- a remote bus also carries other regions' results: their bans concern another IP and their
  offsets another clock, so only this instance's own results may feed it.
"""

from __future__ import annotations

from typing import Protocol

from monitor.models import Outcome, ProbeResult
from monitor.retry import honoured_wait_s


class ClockOffsets(Protocol):
    def offset_s(self, venue: str) -> float:
        """The venue's clock minus ours, as last measured (0.0 before any measurement)."""
        ...


def hold_s(result: ProbeResult, now_wall_s: float) -> float | None:
    """How long a rate-limited venue asked us to stay away (Retry-After, or a ban's end)."""
    if result.outcome is not Outcome.RATE_LIMITED:
        return None
    waits = [result.retry_after_s or 0.0]
    if result.ban_until_s is not None:
        waits.append(result.ban_until_s - now_wall_s)
    return honoured_wait_s(max(waits))


class VenueFeedback:
    """Per venue: held until (monotonic) and the last clock offset, from results only."""

    __slots__ = ("_holds", "_offsets")

    def __init__(self) -> None:
        self._holds: dict[str, float] = {}
        self._offsets: dict[str, float] = {}

    def observe(self, result: ProbeResult, now_s: float, now_wall_s: float) -> None:
        venue = result.venue
        if result.clock_offset_s is not None:
            self._offsets[venue] = result.clock_offset_s
        wait = hold_s(result, now_wall_s)
        if wait is not None:
            self._holds[venue] = max(now_s + wait, self._holds.get(venue, 0.0))

    def held(self, venue: str, now_s: float) -> bool:
        return now_s < self._holds.get(venue, 0.0)

    def offset_s(self, venue: str) -> float:
        return self._offsets.get(venue, 0.0)
