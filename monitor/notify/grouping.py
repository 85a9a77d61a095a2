"""Per-channel grouping and storm guard. Pure bookkeeping; the notifier persists each group
to the outbox as it grows, so a grouped event is as durable as a sent one.

A critical alert that arrives while no group is open goes out at once, alone; what follows
within `window_s` is collected into one message sent when the window ends. Any other event
opens a group of `window_s`. A channel that has opened `max_per_minute` groups in the last
minute gets its next group held until the minute frees up: everything in between becomes
one summary message. The delivery worker seals a group when it takes it, so nothing joins
a group that is on its way.

For a channel read by people (`storm_threshold` set), a group of more than that many events
is a storm: it goes out as ONE summary (counts per venue and rule, rendered by `render`), and
what follows within the next minute is held into one more summary, so a storm that lasts
costs such a channel one message a minute. Machine channels get every event, grouped.
"""

from __future__ import annotations

import collections
import dataclasses
import uuid

from monitor.models import AlertEvent, AlertKind, Severity
from monitor.notify.base import Notification

MINUTE_S = 60.0


@dataclasses.dataclass(slots=True)
class Group:
    key: str
    channel: str
    created_at_s: float
    flush_at_s: float
    events: list[AlertEvent]
    held: bool = False  # by the storm guard
    sealed: bool = False
    storm: bool = False  # to be rendered as one summary

    def notification(self) -> Notification:
        return Notification(
            self.key, self.channel, tuple(self.events), self.created_at_s, storm=self.storm
        )


def urgent(event: AlertEvent) -> bool:
    return event.severity is Severity.CRITICAL and event.kind is AlertKind.FIRING


class Grouper:
    def __init__(
        self,
        channel: str,
        window_s: float,
        max_per_minute: int,
        storm_threshold: int | None = None,
    ) -> None:
        self._channel = channel
        self._window_s = window_s
        self._max_per_minute = max_per_minute
        self._storm_threshold = storm_threshold  # None: a machine channel, no summaries
        self._open: Group | None = None
        self._quiet_until_s = float("-inf")  # the window that follows an immediate message
        self._storm_until_s = float("-inf")  # groups opened before this are held summaries
        self._opened: collections.deque[float] = collections.deque()

    def add(self, event: AlertEvent, now_s: float) -> Group:
        """The group this event joins (a new one once the open group's time has come)."""
        group = self._open
        if group is None or group.sealed or now_s >= group.flush_at_s:
            group = self._start(event, now_s)
        elif self._at_once(event, now_s) and not group.held:
            group.flush_at_s = now_s  # the critical goes now, with what waited for it
            self._quiet_until_s = now_s + self._window_s
        group.events.append(event)
        group.sealed = group.flush_at_s <= now_s  # an immediate message takes nothing more
        threshold = self._storm_threshold
        if threshold is not None and len(group.events) > threshold:
            group.storm = True
            self._storm_until_s = max(self._storm_until_s, group.flush_at_s + MINUTE_S)
        return group

    def seal_due(self, now_s: float) -> None:
        """Close the open group if its time has come: the worker is about to take it."""
        if self._open is not None and self._open.flush_at_s <= now_s:
            self._open.sealed = True

    def _at_once(self, event: AlertEvent, now_s: float) -> bool:
        return urgent(event) and now_s >= self._quiet_until_s

    def _held_until(self, now_s: float) -> float | None:
        """When a group opened now may go, if the storm guard holds it (else None)."""
        opened = self._opened
        while opened and opened[0] <= now_s - MINUTE_S:
            opened.popleft()
        until = [opened[0] + MINUTE_S] if len(opened) >= self._max_per_minute else []
        if now_s < self._storm_until_s:
            until.append(self._storm_until_s)
        return max(until) if until else None

    def _start(self, event: AlertEvent, now_s: float) -> Group:
        held_until = self._held_until(now_s)
        held = held_until is not None
        if held_until is not None:  # storm: one summary when the minute frees up
            flush_at = max(now_s + self._window_s, held_until)
        elif self._at_once(event, now_s):
            flush_at = now_s
            self._quiet_until_s = now_s + self._window_s
        elif now_s < self._quiet_until_s:  # what follows an immediate message
            flush_at = self._quiet_until_s
        else:
            flush_at = now_s + self._window_s
        self._opened.append(now_s)
        self._open = Group(uuid.uuid4().hex, self._channel, now_s, flush_at, [], held=held)
        return self._open
