"""LocalBus: the in-process bus. Publishing is one `put_nowait` per subscriber of the topic."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

from monitor.bus.records import BY_CLASS, R, Record, topic_of
from monitor.queues import DropOldestQueue

T = TypeVar("T")


class LocalSubscription(Generic[T]):
    __slots__ = ("_queue", "name", "topic")

    def __init__(self, name: str, topic: str, queue: DropOldestQueue[T]) -> None:
        self.name = name
        self.topic = topic
        self._queue: DropOldestQueue[T] = queue

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    async def get(self) -> T:
        return await self._queue.get()

    def get_nowait(self) -> T:
        return self._queue.get_nowait()

    def qsize(self) -> int:
        return self._queue.qsize()


class LocalBus:
    """Fan-out of bounded drop-oldest queues, one per subscriber, per record type."""

    __slots__ = ("_fanout", "_subscriptions")

    def __init__(self) -> None:
        self._fanout: dict[type, list[DropOldestQueue[Record]]] = {cls: [] for cls in BY_CLASS}
        self._subscriptions: dict[str, LocalSubscription[Record]] = {}

    def publish(self, record: Record) -> None:
        for queue in self._fanout[type(record)]:
            queue.put(record)

    def subscribe(self, record_type: type[R], name: str, maxsize: int) -> LocalSubscription[R]:
        if name in self._subscriptions:
            raise ValueError(f"bus subscriber {name!r} exists already")
        queue: DropOldestQueue[R] = DropOldestQueue(maxsize)
        subscription = LocalSubscription(name, topic_of(record_type), queue)
        self._fanout[record_type].append(queue)  # type: ignore[arg-type]
        self._subscriptions[name] = subscription  # type: ignore[assignment]
        return subscription

    def drops(self) -> Mapping[tuple[str, str], int]:
        return {(s.name, s.topic): s.dropped for s in self._subscriptions.values()}
