"""Slack incoming webhook: Block Kit inside an attachment (for the severity colour). Slack
answers the plain text "ok"; anything else (e.g. "invalid_payload") has failed."""

from __future__ import annotations

from typing import Any, Literal

import orjson

from monitor import escape
from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.chat import refused
from monitor.notify.http import post
from monitor.notify.render import body_lines, color, title
from monitor.urls import SecretUrl


class SlackSpec(ChannelSpec):
    type: Literal["slack"] = "slack"
    url: SecretUrl  # https://hooks.slack.com/services/... (the path is the secret)


def build_payload(notification: Notification) -> dict[str, Any]:
    heading = escape.slack(title(notification))
    text = f"*{heading}*\n" + "\n".join(body_lines(notification, escape.slack))
    return {
        "text": heading,
        "attachments": [
            {
                "color": color(notification),
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}},
                    {
                        "type": "context",
                        "elements": [
                            {"type": "mrkdwn", "text": f"exchange-monitor · {notification.key}"},
                        ],
                    },
                ],
            }
        ],
    }


class SlackSink(SinkBase[SlackSpec]):
    async def send(self, notification: Notification) -> None:
        body = orjson.dumps(build_payload(notification))
        url = self._spec.url.get_secret_value()
        _, answer = await post(self._ctx.session, url, self._ctx.clock.wall(), body=body)
        if answer.strip() != b"ok":
            raise refused("Slack", answer[:40].decode(errors="replace"))


SINK = SinkMember(SlackSpec, SlackSink, ChannelKind.CHAT)
