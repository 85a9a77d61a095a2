"""Per-channel grouping and storm guard. Pure bookkeeping; the notifier persists each group
to the outbox as it grows, so a grouped event is as durable as a sent one.

A group collects the events of one channel for `window_s` and becomes one message. A channel
that has opened `max_per_minute` groups in the last minute gets its next group held until the
minute frees up: everything in between becomes one summary message.
"""

from __future__ import annotations

import collections
import dataclasses
import uuid

from monitor.models import AlertEvent
from monitor.notify.base import Notification

MINUTE_S = 60.0


@dataclasses.dataclass(slots=True)
class Group:
    key: str
    channel: str
    created_at_s: float
    flush_at_s: float
    events: list[AlertEvent]

    def notification(self) -> Notification:
        return Notification(self.key, self.channel, tuple(self.events), self.created_at_s)


class Grouper:
    def __init__(self, channel: str, window_s: float, max_per_minute: int) -> None:
        self._channel = channel
        self._window_s = window_s
        self._max_per_minute = max_per_minute
        self._open: Group | None = None
        self._opened: collections.deque[float] = collections.deque()

    def add(self, event: AlertEvent, now_s: float) -> Group:
        """The group this event joins (a new one once the open group's time has come)."""
        group = self._open
        if group is None or now_s >= group.flush_at_s:
            group = self._start(now_s)
        group.events.append(event)
        return group

    def _start(self, now_s: float) -> Group:
        opened = self._opened
        while opened and opened[0] <= now_s - MINUTE_S:
            opened.popleft()
        flush_at = now_s + self._window_s
        if len(opened) >= self._max_per_minute:
            flush_at = max(flush_at, opened[0] + MINUTE_S)  # storm: one summary when it frees
        opened.append(now_s)
        self._open = Group(uuid.uuid4().hex, self._channel, now_s, flush_at, [])
        return self._open
