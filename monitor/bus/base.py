"""The bus seam. A stage publishes records and reads its subscriptions; it never learns
whether the bus is a `LocalBus` in this process or a remote one (NATS JetStream) spanning
regions. Records are frozen, so an in-process bus may hand the same object to every
subscriber; a remote adapter sends `codec.encode(record)` and yields `codec.decode(...)`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar

from monitor.bus.records import R, Record

T_co = TypeVar("T_co", covariant=True)


class Source(Protocol[T_co]):
    """Anything a consumer awaits records from (a Subscription, or a plain asyncio.Queue)."""

    async def get(self) -> T_co: ...


class Subscription(Source[T_co], Protocol[T_co]):
    """One subscriber's bounded queue on one topic. When it is full the oldest record is
    dropped and counted: a slow subscriber costs its own history, never the publisher."""

    @property
    def name(self) -> str: ...

    @property
    def dropped(self) -> int: ...

    def get_nowait(self) -> T_co:
        """The next record already here; raises asyncio.QueueEmpty when there is none."""
        ...

    def qsize(self) -> int: ...


class Publisher(Protocol):
    def publish(self, record: Record) -> None:
        """Hand a record to every subscriber of its topic. Never blocks, never raises for a
        slow or absent subscriber: it is called on the probes' hot path."""
        ...


class Bus(Publisher, Protocol):
    def subscribe(self, record_type: type[R], name: str, maxsize: int) -> Subscription[R]:
        """A new subscription to `record_type`'s topic; `name` is unique per bus."""
        ...

    def drops(self) -> Mapping[tuple[str, str], int]:
        """(subscriber, topic) -> records dropped since start, for self-health."""
        ...
