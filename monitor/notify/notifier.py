"""The notifier: routes alert events to channels, groups them into durable outbox rows, and
runs one delivery worker per channel (its own deadline, retries and circuit breaker), so a
failing or hanging channel never delays the others.

Intake takes every event waiting in its queue at once and writes their groups in ONE outbox
transaction; only then are the events announced to subscribers (history, displays) and the
workers woken: whatever is shown as announced is already durable. Triage results come back
as UPDATED events through a queue of their own, like any other record.
"""

from __future__ import annotations

import asyncio
import collections
import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

from monitor.bus.base import Source
from monitor.clock import Clock
from monitor.models import AlertEvent
from monitor.notify.base import HUMAN_KINDS, Background, ChannelKind, ChannelSpec, Sink
from monitor.notify.delivery import ChannelWorker, Delivery
from monitor.notify.grouping import Group, Grouper
from monitor.notify.outbox import Outbox
from monitor.notify.routing import route
from monitor.queues import DropOldestQueue
from monitor.retry import BreakerSettings, CircuitBreaker, RetryPolicy, RetrySettings
from monitor.tasks import Task
from monitor.triage.service import Triage

RECENT_EVENTS = 200
MAX_BATCH = 5000  # events per outbox transaction
T_co = TypeVar("T_co", covariant=True)


class Inbox(Source[T_co], Protocol[T_co]):
    """What the notifier reads alert events from: a bus subscription or an asyncio.Queue."""

    def get_nowait(self) -> T_co: ...

    def qsize(self) -> int: ...


class Notifier:
    def __init__(
        self,
        channels: Sequence[tuple[ChannelSpec, ChannelKind, Sink]],
        outbox: Outbox,
        clock: Clock,
        *,
        group_window_s: float,
        retry: RetrySettings,
        breaker: BreakerSettings,
        fallback_after_s: float = 120.0,
        storm_threshold: int = 10,
        triage: Triage | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._outbox = outbox
        self._clock = clock
        shared = Delivery(
            outbox, clock, RetryPolicy(retry, rng or random.Random()), fallback_after_s
        )
        self.channels = {
            spec.name: ChannelWorker(
                spec,
                kind,
                sink,
                Grouper(
                    spec.name,
                    spec.group_window_s or group_window_s,
                    spec.max_per_minute,
                    storm_threshold if kind in HUMAN_KINDS else None,
                ),
                CircuitBreaker(breaker),
                shared,
            )
            for spec, kind, sink in channels
        }
        for worker in self.channels.values():
            worker.join(self.channels)
        self._routes = [(c.spec, c.kind) for c in self.channels.values()]
        self.triage = triage
        self._triaged: asyncio.Queue[AlertEvent] = asyncio.Queue()
        self._inboxes: list[Inbox[AlertEvent]] = [self._triaged]
        self._subscribers: list[DropOldestQueue[AlertEvent]] = []
        self._writes: set[asyncio.Future[None]] = set()
        self.recent: collections.deque[AlertEvent] = collections.deque(maxlen=RECENT_EVENTS)

    def subscribe(self, maxsize: int = 1000) -> DropOldestQueue[AlertEvent]:
        """A copy of every alert event once it is durable (for history, displays, tests)."""
        queue: DropOldestQueue[AlertEvent] = DropOldestQueue(maxsize)
        self._subscribers.append(queue)
        return queue

    async def backlog(self) -> dict[str, tuple[int, float]]:
        """Per channel: pending notifications and the oldest one's age in seconds, as the
        outbox holds them now (a worker busy with a backlog keeps no count of its own)."""
        now = self._clock.wall()
        out = {}
        for name in self.channels:
            pending = await self._outbox.pending(name)
            oldest = pending.oldest_at_s
            out[name] = (pending.count, 0.0 if oldest is None else max(now - oldest, 0.0))
        return out

    def tasks(self, alerts: Inbox[AlertEvent]) -> list[Task]:
        """Named coroutine factories for the app's TaskGroup: intake of the alerts and of the
        triage results, one worker per channel, the triage workers."""
        self._inboxes.insert(0, alerts)
        out: list[Task] = [
            ("notifier", lambda: self._intake(alerts)),
            ("notifier:triaged", lambda: self._intake(self._triaged)),
        ]
        for name, channel in self.channels.items():
            out.append((f"notify:{name}", channel.run))
            if isinstance(channel.sink, Background):
                out.append((f"notify:{name}:background", channel.sink.background))
        if self.triage is not None:
            out.extend(self.triage.tasks(self._triaged))
        return out

    async def _intake(self, alerts: Inbox[AlertEvent]) -> None:
        while True:
            batch = [await alerts.get()]
            waiting = min(alerts.qsize(), MAX_BATCH - 1)
            batch += [alerts.get_nowait() for _ in range(waiting)]
            # A stop while the batch is being written must not lose it: the write runs on,
            # and `drain` waits for it.
            write = asyncio.ensure_future(self.accept(*batch))
            self._writes.add(write)
            write.add_done_callback(self._writes.discard)
            await asyncio.shield(write)

    async def drain(self) -> None:
        """Persist what is still queued (at shutdown, after the tasks have stopped), after
        any batch whose write the stop interrupted."""
        if self._writes:
            await asyncio.gather(*self._writes)
        for inbox in self._inboxes:
            while inbox.qsize():
                batch = [inbox.get_nowait() for _ in range(min(inbox.qsize(), MAX_BATCH))]
                await self.accept(*batch)

    async def accept(self, *events: AlertEvent) -> None:
        """Route, group and persist events in one transaction, then announce them. Each goes
        out with the rule-based triage at once; the LLM's triage, if any, follows later."""
        triage = self.triage
        staged = [
            (triage.first(e), True) if triage is not None and e.triage is None else (e, False)
            for e in events
        ]
        now = self._clock.wall()
        groups: dict[str, Group] = {}
        woken: set[str] = set()
        for event, _ in staged:
            for name in route(self._routes, event):
                group = self.channels[name].grouper.add(event, now)
                groups[group.key] = group
                woken.add(name)
        # Written before anything is sent or shown: a crash from here on loses nothing.
        await self._outbox.put_many((g.notification(), g.flush_at_s) for g in groups.values())
        for event, fresh in staged:
            self.recent.append(event)
            for subscriber in self._subscribers:
                subscriber.put(event)
            if triage is not None and fresh:
                triage.submit(event)
        for name in woken:
            self.channels[name].wake.ring()
