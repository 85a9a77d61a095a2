"""Running a subscriber: the loop every stage that only takes records in shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from monitor.bus.base import Subscription

T = TypeVar("T")


async def consume(subscription: Subscription[T], handle: Callable[[T], None]) -> None:
    """Hand every record of `subscription` to `handle`, until cancelled. What is queued
    already is handled in one turn of the loop, not one turn per record."""
    while True:
        handle(await subscription.get())
        while subscription.qsize():
            handle(subscription.get_nowait())
