"""The notifier: routes alert events to channels, groups them into durable outbox rows, and
runs one delivery worker per channel (its own deadline, retries and circuit breaker), so a
failing or hanging channel never delays the others."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import random
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from monitor.bus.base import Source
from monitor.clock import Clock
from monitor.models import AlertEvent
from monitor.notify.base import ChannelKind, ChannelSpec, DeliveryError, Notification, Sink
from monitor.notify.breaker import BreakerSettings, CircuitBreaker
from monitor.notify.grouping import Grouper
from monitor.notify.outbox import Outbox, OutboxRow
from monitor.notify.retry import RetryPolicy, RetrySettings
from monitor.notify.routing import route
from monitor.queues import DropOldestQueue
from monitor.triage.service import Triage

log = logging.getLogger("monitor.notify")
RECENT_EVENTS = 200


@dataclasses.dataclass(slots=True)
class ChannelStats:
    sent: int = 0
    failed: int = 0  # failed attempts (each retry counts)
    dead: int = 0  # gave up after the last attempt


@dataclasses.dataclass(slots=True)
class Channel:
    spec: ChannelSpec
    kind: ChannelKind
    sink: Sink
    grouper: Grouper
    breaker: CircuitBreaker
    wake: asyncio.Event
    stats: ChannelStats


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
        triage: Triage | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._outbox = outbox
        self._clock = clock
        self._policy = RetryPolicy(retry, rng or random.Random())
        self.channels = {
            spec.name: Channel(
                spec,
                kind,
                sink,
                Grouper(spec.name, spec.group_window_s or group_window_s, spec.max_per_minute),
                CircuitBreaker(breaker),
                asyncio.Event(),
                ChannelStats(),
            )
            for spec, kind, sink in channels
        }
        self._routes = [(c.spec, c.kind) for c in self.channels.values()]
        self.triage = triage
        self._subscribers: list[DropOldestQueue[AlertEvent]] = []
        self.recent: collections.deque[AlertEvent] = collections.deque(maxlen=RECENT_EVENTS)

    def subscribe(self, maxsize: int = 1000) -> DropOldestQueue[AlertEvent]:
        """A copy of every alert event the notifier handles (for displays and tests)."""
        queue: DropOldestQueue[AlertEvent] = DropOldestQueue(maxsize)
        self._subscribers.append(queue)
        return queue

    def tasks(
        self, alerts: Source[AlertEvent]
    ) -> list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]]:
        """Named coroutine factories for the app's TaskGroup: intake + one worker per channel."""
        out: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = [
            ("notifier", lambda: self._intake(alerts))
        ]
        for name in self.channels:
            out.append((f"notify:{name}", lambda name=name: self._worker(name)))  # type: ignore[misc]
        triage = self.triage
        if triage is not None:
            for i in range(triage.workers):
                out.append((f"triage:{i}", lambda: triage.worker(self.handle)))
        return out

    async def _intake(self, alerts: Source[AlertEvent]) -> None:
        while True:
            await self.handle(await alerts.get())

    async def handle(self, event: AlertEvent) -> None:
        """Route, group and persist one event. It goes out with the rule-based triage at once;
        the LLM's triage, if any, follows later as an UPDATED event through here again."""
        fresh = self.triage is not None and event.triage is None
        if self.triage is not None and fresh:
            event = self.triage.first(event)
        self.recent.append(event)
        for subscriber in self._subscribers:
            subscriber.put(event)
        now = self._clock.wall()
        for name in route(self._routes, event):
            channel = self.channels[name]
            group = channel.grouper.add(event, now)
            # Written before anything is sent: a crash from here on loses nothing.
            await self._outbox.put(group.notification(), group.flush_at_s)
            channel.wake.set()
        if self.triage is not None and fresh:
            self.triage.submit(event)

    async def _worker(self, name: str) -> None:
        channel = self.channels[name]
        while True:
            channel.wake.clear()
            rows = await self._outbox.due(name, self._clock.wall())
            for row in rows:
                await self._deliver(channel, row)
            if rows:
                continue
            next_at = await self._outbox.next_at(name)
            try:
                async with asyncio.timeout(
                    None if next_at is None else max(next_at - self._clock.wall(), 0.0)
                ):
                    await channel.wake.wait()
            except TimeoutError:
                pass  # the next row is due

    async def _deliver(self, channel: Channel, row: OutboxRow) -> None:
        now = self._clock.wall()
        resume = channel.breaker.closed_at(now)
        if resume > now:
            await self._clock.sleep(resume - now)
        notification, attempt = row.notification, row.attempts + 1
        try:
            async with asyncio.timeout(channel.spec.timeout_s):
                await channel.sink.send(notification)
        except TimeoutError:
            await self._failed(
                channel, notification, attempt, DeliveryError("timeout", retryable=True)
            )
        except DeliveryError as exc:
            await self._failed(channel, notification, attempt, exc)
        except Exception as exc:  # a sink bug must not stop the other channels
            log.exception("sink_bug", extra={"channel": channel.spec.name})
            await self._failed(
                channel, notification, attempt, DeliveryError(type(exc).__name__, retryable=True)
            )
        else:
            await self._outbox.delivered(notification.key)
            channel.breaker.success()
            channel.stats.sent += 1
            log.info(
                "notification_sent",
                extra={
                    "channel": channel.spec.name,
                    "key": notification.key,
                    "attempts": attempt,
                    "alerts": len(notification.events),
                },
            )

    async def _failed(
        self, channel: Channel, notification: Notification, attempt: int, error: DeliveryError
    ) -> None:
        now = self._clock.wall()
        channel.breaker.failure(now)
        channel.stats.failed += 1
        at = self._policy.next_attempt_at(
            attempt, error.retryable, error.retry_after_s, now, notification.created_at_s
        )
        facts = {
            "channel": channel.spec.name,
            "key": notification.key,
            "attempts": attempt,
            "error": str(error),
        }
        if at is not None:
            await self._outbox.reschedule(notification.key, attempt, at, str(error))
            log.warning("notification_retry", extra=facts | {"in_s": round(at - now, 3)})
            return
        await self._outbox.dead(notification.key, attempt, str(error))
        channel.stats.dead += 1
        log.error("notification_dead", extra=facts)
        fallback = channel.spec.fallback
        if fallback is not None and fallback in self.channels:
            copy = dataclasses.replace(
                notification, key=f"{notification.key}.{fallback}", channel=fallback
            )
            await self._outbox.put(copy, now)
            self.channels[fallback].wake.set()
