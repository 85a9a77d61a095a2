"""Feishu / Lark custom bot: an interactive card. With a secret, the body carries `timestamp`
(seconds) and `sign` = base64(HMAC-SHA256(key="<timestamp>\\n<secret>", message="")), as the
Feishu docs specify. Feishu answers HTTP 200 with {"code": 0} on success; any other code (or
the legacy {"StatusCode": ...}) has failed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Literal

import orjson
from pydantic import SecretStr

from monitor import escape
from monitor.models import Severity
from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.chat import json_answer, refused
from monitor.notify.http import post
from monitor.notify.render import body_lines, title
from monitor.urls import SecretUrl

RATE_LIMIT_CODES = frozenset({9499, 11232})
TEMPLATE = {
    Severity.CRITICAL: "red",
    Severity.HIGH: "orange",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "blue",
}


class FeishuSpec(ChannelSpec):
    type: Literal["feishu"] = "feishu"
    url: SecretUrl  # https://open.feishu.cn/open-apis/bot/v2/hook/<token>
    secret: SecretStr | None = None


def sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def build_payload(spec: FeishuSpec, notification: Notification, now_s: float) -> dict[str, Any]:
    firing = notification.firing
    template = (
        TEMPLATE[max((e.severity for e in firing), key=lambda s: s.rank)] if firing else "green"
    )
    payload: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": escape.clean(title(notification))},
                "template": template,
            },
            "elements": [
                {
                    "tag": "div",
                    "text": {
                        "tag": "lark_md",
                        "content": "\n".join(body_lines(notification, escape.markdown)),
                    },
                }
            ],
        },
    }
    if spec.secret is not None:
        timestamp = int(now_s)
        payload["timestamp"] = str(timestamp)
        payload["sign"] = sign(timestamp, spec.secret.get_secret_value())
    return payload


class FeishuSink(SinkBase[FeishuSpec]):
    async def send(self, notification: Notification) -> None:
        now = self._ctx.clock.wall()
        body = orjson.dumps(build_payload(self._spec, notification, now))
        _, raw = await post(self._ctx.session, self._spec.url.get_secret_value(), now, body=body)
        answer = json_answer(raw)
        code = answer.get("code", answer.get("StatusCode"))
        if code != 0:
            raise refused("Feishu", code, retryable=code in RATE_LIMIT_CODES)


SINK = SinkMember(FeishuSpec, FeishuSink, ChannelKind.CHAT)
