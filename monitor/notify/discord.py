"""Discord webhook: one embed coloured by severity; mentions disabled (allowed_mentions)."""

from __future__ import annotations

from typing import Any, Literal

import orjson

from monitor import escape
from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.chat import json_answer
from monitor.notify.http import post
from monitor.notify.payload import rfc3339
from monitor.notify.render import body_lines, color, title
from monitor.urls import SecretUrl


class DiscordSpec(ChannelSpec):
    type: Literal["discord"] = "discord"
    url: SecretUrl  # https://discord.com/api/webhooks/<id>/<token>


def build_payload(notification: Notification, now_s: float) -> dict[str, Any]:
    description = "\n".join(body_lines(notification, escape.markdown))
    return {
        "username": "exchange-monitor",
        "allowed_mentions": {"parse": []},
        "embeds": [
            {
                "title": escape.clean(title(notification), 256),
                "description": description[:4000],
                "color": int(color(notification)[1:], 16),
                "timestamp": rfc3339(now_s),
                "footer": {"text": notification.key},
            }
        ],
    }


def retry_hint(body: bytes) -> float | None:
    """Discord's 429 body: {"retry_after": seconds}."""
    value = json_answer(body).get("retry_after")
    return float(value) if isinstance(value, int | float) else None


class DiscordSink(SinkBase[DiscordSpec]):
    async def send(self, notification: Notification) -> None:
        now = self._ctx.clock.wall()
        body = orjson.dumps(build_payload(notification, now))
        url = self._spec.url.get_secret_value() + "?wait=true"
        await post(self._ctx.session, url, now, body=body, retry_hint=retry_hint)


SINK = SinkMember(DiscordSpec, DiscordSink, ChannelKind.CHAT)
