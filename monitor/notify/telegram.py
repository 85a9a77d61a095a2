"""Telegram Bot API sendMessage, HTML parse mode with every external text escaped. Telegram
answers {"ok": true}; {"ok": false} has failed (429 carries parameters.retry_after)."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import SecretStr

from monitor import escape
from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.chat import json_answer, refused
from monitor.notify.http import post
from monitor.notify.render import body_lines, title
from monitor.urls import HttpUrlStr

MAX_TEXT = 4096


class TelegramSpec(ChannelSpec):
    type: Literal["telegram"] = "telegram"
    bot_token: SecretStr
    chat_id: str
    api_base: HttpUrlStr = "https://api.telegram.org"


def build_payload(spec: TelegramSpec, notification: Notification) -> dict[str, Any]:
    text = f"<b>{escape.html_text(title(notification))}</b>\n" + "\n".join(
        body_lines(notification, escape.html_text)
    )
    return {
        "chat_id": spec.chat_id,
        "text": text[:MAX_TEXT],
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }


def retry_hint(body: bytes) -> float | None:
    parameters = json_answer(body).get("parameters")
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    return float(value) if isinstance(value, int | float) else None


class TelegramSink(SinkBase[TelegramSpec]):
    async def send(self, notification: Notification) -> None:
        now = self._ctx.clock.wall()
        url = f"{self._spec.api_base}/bot{self._spec.bot_token.get_secret_value()}/sendMessage"
        body = orjson.dumps(build_payload(self._spec, notification))
        _, raw = await post(self._ctx.session, url, now, body=body, retry_hint=retry_hint)
        answer = json_answer(raw)
        if answer.get("ok") is not True:
            raise refused("Telegram", answer.get("error_code"))


SINK = SinkMember(TelegramSpec, TelegramSink, ChannelKind.CHAT)
