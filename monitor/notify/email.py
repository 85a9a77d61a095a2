"""E-mail over SMTP (aiosmtplib): STARTTLS (default), implicit TLS or plain, with a plain-text
and an HTML part. The Message-ID is derived from the notification key, so mail systems can
drop a duplicate after a retry."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Annotated, Literal

import aiosmtplib
from pydantic import Field, SecretStr

from monitor import escape
from monitor.notify.base import (
    ChannelKind,
    ChannelSpec,
    DeliveryError,
    Notification,
    SinkBase,
    SinkMember,
)
from monitor.notify.render import body_lines, title


class EmailSpec(ChannelSpec):
    type: Literal["email"] = "email"
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    to: list[str] = Field(min_length=1)
    subject_prefix: str = "[exchange-monitor]"


def build_message(spec: EmailSpec, notification: Notification) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = escape.clean(f"{spec.subject_prefix} {title(notification)}", 200)
    message["From"] = spec.sender
    message["To"] = ", ".join(spec.to)
    message["Message-ID"] = f"<{notification.key}@exchange-monitor>"
    plain = body_lines(notification, escape.clean)
    message.set_content(title(notification) + "\n\n" + "\n".join(plain) + "\n")
    items = "".join(f"<li>{line}</li>" for line in body_lines(notification, escape.html_text))
    heading = escape.html_text(title(notification))
    message.add_alternative(
        f"<html><body><h3>{heading}</h3><ul>{items}</ul></body></html>", subtype="html"
    )
    return message


def smtp_error(exc: Exception) -> DeliveryError:
    """SMTP 4xx is transient, 5xx (bad address, auth refused) is not; transport is retried."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryError(f"SMTP {exc.code}", retryable=400 <= exc.code < 500, status=exc.code)
    return DeliveryError(f"SMTP transport: {type(exc).__name__}", retryable=True)


class EmailSink(SinkBase[EmailSpec]):
    async def send(self, notification: Notification) -> None:
        spec = self._spec
        try:
            await aiosmtplib.send(
                build_message(spec, notification),
                hostname=spec.host,
                port=spec.port,
                username=spec.username,
                password=spec.password.get_secret_value() if spec.password else None,
                start_tls=spec.security == "starttls",
                use_tls=spec.security == "tls",
                timeout=spec.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise smtp_error(exc) from None


SINK = SinkMember(EmailSpec, EmailSink, ChannelKind.EMAIL)
