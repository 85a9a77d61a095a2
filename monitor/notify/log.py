"""The log channel: each notification as one structured log event with a line for every
alert in it (a machine channel: no summaries). Default when no channel is configured, and
where LOW alerts go by default."""

from __future__ import annotations

import logging
from typing import Literal

from monitor import escape
from monitor.models import Severity
from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.render import event_line, title

log = logging.getLogger("monitor.alerts")
LEVEL = {
    Severity.CRITICAL: logging.ERROR,
    Severity.HIGH: logging.WARNING,
    Severity.MEDIUM: logging.WARNING,
    Severity.LOW: logging.INFO,
}


class LogSpec(ChannelSpec):
    type: Literal["log"] = "log"


class LogSink(SinkBase[LogSpec]):
    async def send(self, notification: Notification) -> None:
        worst = max((e.severity for e in notification.events), key=lambda s: s.rank)
        firing = notification.firing
        level = LEVEL[worst] if firing else logging.INFO
        log.log(
            level,
            "notification",
            extra={
                "key": notification.key,
                "title": title(notification),
                "alerts": [event_line(e, escape.clean) for e in notification.events],
                "fingerprints": [e.fingerprint for e in notification.events],
            },
        )


SINK = SinkMember(LogSpec, LogSink, ChannelKind.LOG)
