"""VenueFeedback: what the venues' own answers tell the next probes of stage 1.

Two facts flow back from a result to later probes: a venue that said "stop" must not be
probed until then, by any of its endpoints, or the ban escalates; and a signed request must
carry a timestamp on the venue's clock, so the last measured offset corrects ours.

How long to stay away: a Retry-After or a ban's end, as the venue said; else, where the
venue's profile gives a first back-off for its answer (OKX 50011, Kraken `EAPI:Rate limit
exceeded`, Binance -1003/-1008, a bare 429), that back-off doubled with every refusal in a
row up to `BACKOFF_CAP_S`; a host refused access (ACCESS_DENIED) is probed once a minute.
When the hold ends, one probe (the trial) goes; the venue's other endpoints wait for its
verdict, so a refusing venue sees one request per hold, not one per endpoint. A signed
request refused for this host's IP holds only that endpoint: the public ones still answer.

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

import dataclasses
from typing import Protocol

from monitor.models import Outcome, ProbeResult
from monitor.retry import exponential_s, honoured_wait_s

ACCESS_DENIED_RETRY_S = 60.0  # a blocked host is probed once a minute until it clears
BACKOFF_CAP_S = 300.0


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


def stay_away_s(result: ProbeResult, refusals: int, now_wall_s: float) -> float | None:
    """How long to leave the venue alone after `result`, the `refusals`-th in a row (from 0);
    None when it did not refuse."""
    if result.outcome is Outcome.ACCESS_DENIED:
        return ACCESS_DENIED_RETRY_S
    asked = hold_s(result, now_wall_s)
    if asked is not None or result.backoff_s is None:
        return asked
    return exponential_s(result.backoff_s, refusals, BACKOFF_CAP_S)


def hold_key(result: ProbeResult) -> str:
    """A signed probe refused for our IP holds itself; anything else holds the venue."""
    return result.endpoint_id if result.auth_problem == "ip" else result.venue


@dataclasses.dataclass(slots=True)
class _Hold:
    until_s: float  # monotonic
    wait_s: float  # the last stay-away
    refusals: int = 1
    trial: str | None = None  # the endpoint whose probe decides, once the hold has ended


class VenueFeedback:
    """Per venue (or signed endpoint): the hold and the last clock offset, from results only."""

    __slots__ = ("_holds", "_offsets")

    def __init__(self) -> None:
        self._holds: dict[str, _Hold] = {}
        self._offsets: dict[str, float] = {}

    def observe(self, result: ProbeResult, now_s: float, now_wall_s: float) -> float | None:
        """Learn from one result; returns how long the monitor now stays away, if it does."""
        if result.clock_offset_s is not None:
            self._offsets[result.venue] = result.clock_offset_s
        key = hold_key(result)
        hold = self._holds.get(key)
        deciding = hold is not None and hold.trial == result.endpoint_id
        wait = stay_away_s(result, hold.refusals if deciding and hold else 0, now_wall_s)
        if wait is None:
            if deciding:
                del self._holds[key]  # the trial was answered: the venue is open again
            return None
        if hold is None or deciding:
            refusals = hold.refusals + 1 if hold is not None else 1
            self._holds[key] = _Hold(now_s + wait, wait, refusals)
        else:  # an answer to a probe sent before the hold: extend, count no new refusal
            hold.until_s = max(hold.until_s, now_s + wait)
        return max(self._holds[key].until_s - now_s, 0.0)

    def held(self, venue: str, now_s: float) -> bool:
        hold = self._holds.get(venue)
        return hold is not None and now_s < hold.until_s

    def admit(self, venue: str, endpoint_id: str, now_s: float) -> bool:
        """May this endpoint probe now? Once a hold has ended, the first to ask is the trial
        and the others wait for its verdict (or one more hold, should it never come)."""
        for key in (venue, endpoint_id):
            hold = self._holds.get(key)
            if hold is None:
                continue
            if now_s < hold.until_s:
                return False
            hold.trial = endpoint_id
            hold.until_s = now_s + hold.wait_s
        return True

    def offset_s(self, venue: str) -> float:
        return self._offsets.get(venue, 0.0)
