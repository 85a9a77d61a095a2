"""One channel's delivery worker: sends what the outbox holds for it, by time, not attempts.

- Order: the most severe first, the newest first within a severity, so a new alert never
  waits behind a backlog.
- A failing notification is retried with capped backoff for `retry.max_retry_s`; after
  `fallback_after_s` of failure the fallback channel gets a copy, whatever the breaker says.
- The circuit breaker rests the channel after consecutive failures; its probe attempt is
  the oldest pending notification.
- Every wait and backoff goes through the injected clock; an attempt's I/O deadline is an
  `asyncio.timeout` (its owner sets it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping

from monitor.clock import Alarm, Clock
from monitor.notify.base import ChannelKind, ChannelSpec, DeliveryError, Sink
from monitor.notify.grouping import Grouper
from monitor.notify.outbox import Outbox, OutboxRow, Pending
from monitor.retry import CircuitBreaker, RetryPolicy

log = logging.getLogger("monitor.notify")
IDLE_S = 60.0  # a worker with nothing to do still looks at the outbox this often


@dataclasses.dataclass(slots=True)
class ChannelStats:
    sent: int = 0
    failed: int = 0  # failed attempts (each retry counts)
    dead: int = 0  # gave up: not retryable, or failing for max_retry_s
    fallback: int = 0  # copies handed to the fallback channel
    pending: Pending = dataclasses.field(default_factory=Pending)


@dataclasses.dataclass(frozen=True, slots=True)
class Delivery:
    """What every worker shares."""

    outbox: Outbox
    clock: Clock
    policy: RetryPolicy
    fallback_after_s: float


class ChannelWorker:
    def __init__(
        self,
        spec: ChannelSpec,
        kind: ChannelKind,
        sink: Sink,
        grouper: Grouper,
        breaker: CircuitBreaker,
        shared: Delivery,
    ) -> None:
        self.spec = spec
        self.kind = kind
        self.sink = sink
        self.grouper = grouper
        self.breaker = breaker
        self.wake = Alarm(shared.clock)
        self.stats = ChannelStats()
        self._shared = shared
        self._peers: Mapping[str, ChannelWorker] = {}

    def join(self, peers: Mapping[str, ChannelWorker]) -> None:
        """The other workers (the fallback channel is woken when it gets a copy)."""
        self._peers = peers

    async def run(self) -> None:
        clock = self._shared.clock
        while True:
            now = clock.wall()
            await self._fallbacks(now)
            if await self._send_due(now):
                continue
            self.stats.pending = await self._shared.outbox.pending(self.spec.name)
            wake_at = await self._wake_at(now)
            await self.wake.nap(wake_at - now)

    async def _send_due(self, now: float) -> bool:
        """Send what is due (or the breaker's probe); False when there was nothing."""
        if self.breaker.closed_at(now) > now:
            return False
        outbox, name = self._shared.outbox, self.spec.name
        self.grouper.seal_due(now)
        if self.breaker.probing(now):
            oldest = await outbox.oldest(name)
            rows = [] if oldest is None else [oldest]
        else:
            rows = await outbox.due(name, now)
        for row in rows:
            if not await self._deliver(row) and self._resting():
                break  # the breaker opened: the rest waits for its probe
            if self.wake.rung:
                break  # something new arrived: take the rows again in priority order
        return bool(rows)

    async def _wake_at(self, now: float) -> float:
        outbox, name = self._shared.outbox, self.spec.name
        times = [now + IDLE_S]
        if self.stats.pending.count:
            next_at = await outbox.next_at(name)
            resume = self.breaker.closed_at(now)
            if resume > now:
                times.append(resume)
            elif next_at is not None:
                times.append(next_at)
        if self._fallback() is not None:
            failing = await outbox.first_failing_at(name)
            if failing is not None:
                times.append(failing + self._shared.fallback_after_s)
        return min(times)

    def _resting(self) -> bool:
        now = self._shared.clock.wall()
        return self.breaker.closed_at(now) > now

    def _fallback(self) -> ChannelWorker | None:
        name = self.spec.fallback
        return None if name is None else self._peers.get(name)

    async def _fallbacks(self, now: float) -> None:
        if self._fallback() is None:
            return
        failing = await self._shared.outbox.failing_since(
            self.spec.name, now - self._shared.fallback_after_s
        )
        for row in failing:
            await self._copy(row, now, "failing")

    async def _copy(self, row: OutboxRow, now: float, reason: str) -> None:
        fallback = self._fallback()
        if fallback is None or row.fallback_done:
            return
        original = row.notification
        copy = dataclasses.replace(
            original, key=f"{original.key}.{fallback.spec.name}", channel=fallback.spec.name
        )
        await self._shared.outbox.copy_to_fallback(original.key, copy, now)
        self.stats.fallback += 1
        fallback.wake.ring()
        log.warning(
            "notification_fallback",
            extra={"channel": self.spec.name, "key": original.key, "reason": reason},
        )

    async def _attempt(self, row: OutboxRow) -> DeliveryError | None:
        try:
            async with asyncio.timeout(self.spec.timeout_s):  # an I/O deadline, not a wait
                await self.sink.send(row.notification)
        except TimeoutError:
            return DeliveryError("timeout", retryable=True)
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # a sink bug must not stop the other channels
            log.exception("sink_bug", extra={"channel": self.spec.name})
            return DeliveryError(type(exc).__name__, retryable=True)
        return None

    async def _deliver(self, row: OutboxRow) -> bool:
        error = await self._attempt(row)
        if error is not None:
            await self._failed(row, error)
            return False
        notification = row.notification
        await self._shared.outbox.delivered(notification.key)
        self.breaker.success()
        self.stats.sent += 1
        log.info(
            "notification_sent",
            extra={
                "channel": self.spec.name,
                "key": notification.key,
                "attempts": row.attempts + 1,
                "alerts": len(notification.events),
            },
        )
        return True

    async def _failed(self, row: OutboxRow, error: DeliveryError) -> None:
        shared, notification, attempt = self._shared, row.notification, row.attempts + 1
        now = shared.clock.wall()
        self.breaker.failure(now)
        self.stats.failed += 1
        at = shared.policy.next_attempt_at(
            attempt, error.retryable, error.retry_after_s, now, notification.created_at_s
        )
        facts = {
            "channel": self.spec.name,
            "key": notification.key,
            "attempts": attempt,
            "error": str(error),
        }
        if at is not None:
            failing_since = now if row.failing_since_s is None else row.failing_since_s
            await shared.outbox.reschedule(notification.key, attempt, at, str(error), failing_since)
            log.warning("notification_retry", extra=facts | {"in_s": round(at - now, 3)})
            return
        await shared.outbox.dead(notification.key, attempt, str(error))
        self.stats.dead += 1
        log.error("notification_dead", extra=facts)
        await self._copy(row, now, "dead")
