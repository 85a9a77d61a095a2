"""DingTalk custom robot: a markdown message. With a secret, the URL gets `timestamp` (ms)
and `sign` = urlencode(base64(HMAC-SHA256(key=secret, message="<timestamp>\\n<secret>"))),
as the DingTalk docs specify. DingTalk answers HTTP 200 with {"errcode": 0}; any other errcode
has failed (130101: sending too fast, worth a retry)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from typing import Any, Literal

import orjson
from pydantic import SecretStr

from monitor import escape
from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.chat import json_answer, refused
from monitor.notify.http import post
from monitor.notify.render import body_lines, title
from monitor.urls import SecretUrl

RATE_LIMIT_CODES = frozenset({130101})


class DingTalkSpec(ChannelSpec):
    type: Literal["dingtalk"] = "dingtalk"
    url: SecretUrl  # https://oapi.dingtalk.com/robot/send?access_token=<token>
    secret: SecretStr | None = None  # "SEC..." from the robot's security settings


def sign(timestamp_ms: int, secret: str) -> str:
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(spec: DingTalkSpec, now_s: float) -> str:
    url = spec.url.get_secret_value()
    if spec.secret is None:
        return url
    timestamp_ms = int(now_s * 1000)
    joiner = "&" if "?" in url else "?"
    signature = sign(timestamp_ms, spec.secret.get_secret_value())
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={signature}"


def build_payload(notification: Notification) -> dict[str, Any]:
    heading = escape.markdown(title(notification))
    text = f"#### {heading}\n\n" + "\n\n".join(body_lines(notification, escape.markdown))
    return {
        "msgtype": "markdown",
        "markdown": {"title": escape.clean(title(notification), 64), "text": text},
    }


class DingTalkSink(SinkBase[DingTalkSpec]):
    async def send(self, notification: Notification) -> None:
        now = self._ctx.clock.wall()
        body = orjson.dumps(build_payload(notification))
        _, raw = await post(self._ctx.session, signed_url(self._spec, now), now, body=body)
        code = json_answer(raw).get("errcode")
        if code != 0:
            raise refused("DingTalk", code, retryable=code in RATE_LIMIT_CODES)


SINK = SinkMember(DingTalkSpec, DingTalkSink, ChannelKind.CHAT)
