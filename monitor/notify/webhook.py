"""Generic webhook: the versioned JSON payload (schema/webhook-v1.json), signed per the
Standard Webhooks spec when a secret is set: `webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Literal

import orjson
from pydantic import Field, SecretStr

from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.http import post
from monitor.notify.payload import build_payload
from monitor.urls import SecretUrl


class WebhookSpec(ChannelSpec):
    type: Literal["webhook"] = "webhook"
    url: SecretUrl  # may carry a token: treated as a secret
    secret: SecretStr | None = None  # "whsec_<base64>" (Standard Webhooks) or raw text
    headers: dict[str, SecretStr] = Field(default_factory=dict)


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def build_request(
    spec: WebhookSpec, notification: Notification, now_s: float
) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(build_payload(notification, now_s))
    timestamp = int(now_s)
    headers = {name: value.get_secret_value() for name, value in spec.headers.items()}
    headers |= {"webhook-id": notification.key, "webhook-timestamp": str(timestamp)}
    if spec.secret is not None:
        secret = spec.secret.get_secret_value()
        headers["webhook-signature"] = sign(secret, notification.key, timestamp, body)
    return body, headers


class WebhookSink(SinkBase[WebhookSpec]):
    async def send(self, notification: Notification) -> None:
        now = self._ctx.clock.wall()
        body, headers = build_request(self._spec, notification, now)
        await post(
            self._ctx.session, self._spec.url.get_secret_value(), now, body=body, headers=headers
        )


SINK = SinkMember(WebhookSpec, WebhookSink, ChannelKind.MACHINE)
