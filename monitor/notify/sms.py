"""SMS through the Twilio REST API (Messages resource): a 160-character summary per
recipient. CRITICAL only by default. Twilio has no idempotency key: a retry after a partial
failure can repeat a message to recipients who already got it (at-least-once)."""

from __future__ import annotations

from typing import Literal

import aiohttp
from pydantic import Field, SecretStr

from monitor.notify.base import ChannelKind, ChannelSpec, Notification, SinkBase, SinkMember
from monitor.notify.http import post
from monitor.notify.render import short_text
from monitor.urls import HttpUrlStr


class TwilioSpec(ChannelSpec):
    type: Literal["sms"] = "sms"
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretStr
    from_number: str
    to: list[str] = Field(min_length=1)
    api_base: HttpUrlStr = "https://api.twilio.com"


def build_form(spec: TwilioSpec, notification: Notification, to: str) -> dict[str, str]:
    return {"To": to, "From": spec.from_number, "Body": short_text(notification)}


class TwilioSink(SinkBase[TwilioSpec]):
    async def send(self, notification: Notification) -> None:
        spec = self._spec
        url = f"{spec.api_base}/2010-04-01/Accounts/{spec.account_sid}/Messages.json"
        auth = aiohttp.encode_basic_auth(spec.account_sid, spec.auth_token.get_secret_value())
        for to in spec.to:
            form = build_form(spec, notification, to)
            await post(
                self._ctx.session,
                url,
                self._ctx.clock.wall(),
                form=form,
                headers={"Authorization": auth},
            )


SINK = SinkMember(TwilioSpec, TwilioSink, ChannelKind.SMS)
