"""LocalBus: fan-out per record type, bounded drop-oldest queues, a drop count each."""

from __future__ import annotations

import asyncio

import pytest

from monitor.bus.local import LocalBus
from monitor.models import UNKNOWN_ORIGIN, Outcome, ProbeResult, SelfHealth


def result(n: int) -> ProbeResult:
    return ProbeResult(f"v.e{n}", "v", f"e{n}", Outcome.OK, float(n), 0.0, 0.01, 0.0, 0.0)


async def test_every_subscriber_of_a_topic_gets_every_record() -> None:
    bus = LocalBus()
    first = bus.subscribe(ProbeResult, "first", 10)
    second = bus.subscribe(ProbeResult, "second", 10)
    health = bus.subscribe(SelfHealth, "health", 10)
    bus.publish(result(1))
    bus.publish(SelfHealth(UNKNOWN_ORIGIN, 0.0, 0.0, 0, 0, 0))
    async with asyncio.timeout(2):
        assert await first.get() == await second.get() == result(1)
        assert (await health.get()).loop_lag_s == 0.0
    assert first.qsize() == second.qsize() == health.qsize() == 0


def test_a_slow_subscriber_loses_its_oldest_records_alone() -> None:
    bus = LocalBus()
    slow = bus.subscribe(ProbeResult, "slow", 2)
    fast = bus.subscribe(ProbeResult, "fast", 100)
    for n in range(5):
        bus.publish(result(n))
    assert [slow.get_nowait().endpoint for _ in range(slow.qsize())] == ["e3", "e4"]
    assert (slow.dropped, fast.dropped, fast.qsize()) == (3, 0, 5)
    assert bus.drops() == {("slow", "probe_result"): 3, ("fast", "probe_result"): 0}


def test_publishing_without_subscribers_is_a_no_op() -> None:
    LocalBus().publish(result(1))


def test_subscriptions_are_named_once_and_only_for_records() -> None:
    bus = LocalBus()
    bus.subscribe(ProbeResult, "detector", 1)
    with pytest.raises(ValueError, match="'detector' exists already"):
        bus.subscribe(SelfHealth, "detector", 1)
    with pytest.raises(TypeError, match="int is not a bus record"):
        bus.subscribe(int, "numbers", 1)  # type: ignore[type-var]
