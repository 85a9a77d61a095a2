"""E-mail against a real SMTP server (aiosmtpd) on loopback, with SMTP AUTH."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.clock import SystemClock
from monitor.notify.base import DeliveryError, SinkContext
from monitor.notify.email import EmailSink, EmailSpec
from tests.notify.helpers import HOSTILE, event, notification
from tests.ports import free_port

PASSWORD = "smtp-canary-pw-7731"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def spec(port: int, password: str = PASSWORD) -> EmailSpec:
    return EmailSpec(
        name="mail",
        host="127.0.0.1",
        port=port,
        security="none",
        username="ops",
        password=password,
        sender="monitor@example.com",
        to=["oncall@example.com", "desk@example.com"],
    )


async def test_plain_and_html_parts_with_auth(smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    async with aiohttp.ClientSession() as session:
        sink = EmailSink(spec(port), SinkContext(session, SystemClock()))
        await sink.send(notification(event(summary=HOSTILE)))
    message = email.message_from_bytes(inbox.messages[0], policy=email.policy.default)
    assert message["Subject"].startswith("[exchange-monitor] ")
    assert message["To"] == "oncall@example.com, desk@example.com"
    assert message["Message-ID"] == "<k-1@exchange-monitor>"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert "EXCHANGE_DOWN" in plain.get_content()
    assert "<b>x</b>" not in html.get_content() and "&lt;b&gt;x&lt;/b&gt;" in html.get_content()


async def test_refused_auth_is_final_and_never_shows_the_password(
    smtp: tuple[int, Inbox], caplog: pytest.LogCaptureFixture
) -> None:
    port, _ = smtp
    wrong = spec(port, password="wrong-" + PASSWORD)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(DeliveryError) as failed:
            await EmailSink(wrong, SinkContext(session, SystemClock())).send(notification())
    assert failed.value.status == 535 and not failed.value.retryable
    for text in (str(failed.value), repr(wrong), caplog.text):
        assert PASSWORD not in text
