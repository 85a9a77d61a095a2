"""/api/v1/status is serialised a slice of venues at a time, the loop running in between:
with 1,000 venues one orjson call held the probes for 5-8 ms (bench.surfaces: 22 ms)."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import pytest

from monitor.clock import pass_turn
from monitor.detect.health import VenueHealth
from monitor.web.snapshots import SLICE, status_body


def venue(i: int) -> VenueHealth:
    return VenueHealth(
        f"t{i}", "up", 1.0, 0.0, 12.5, 11.0, 20.0, 30.0, None, None, (f"X/t{i}",), ()
    )


@pytest.mark.parametrize("count", [0, 1, SLICE, SLICE + 1, 3 * SLICE + 7])
async def test_the_sliced_body_is_the_whole_document(count: int) -> None:
    venues = tuple(venue(i) for i in range(count))
    assert await status_body(venues) == orjson.dumps({"venues": venues})


async def test_the_loop_runs_between_slices() -> None:
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await pass_turn()

    venues = tuple(venue(i) for i in range(4 * SLICE))
    task = asyncio.create_task(other_task())
    await pass_turn()  # it has started
    started = turns
    await status_body(venues)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert turns - started >= 4
