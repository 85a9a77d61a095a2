from __future__ import annotations

import pytest

from monitor.queues import DropOldestQueue


async def test_full_queue_drops_oldest_and_counts() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(3)
    for i in range(5):
        queue.put(i)
    assert queue.dropped == 2
    assert [await queue.get() for _ in range(3)] == [2, 3, 4]


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        DropOldestQueue(0)
