"""Stage 3: alert events -> routed, grouped, durable, retried notifications on every channel.

`SINKS` is the registry settings refer to by `type`: (spec model, sink class, channel kind).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from monitor.notify import (
    alertmanager,
    dingtalk,
    discord,
    email,
    feishu,
    jsonl,
    log,
    slack,
    sms,
    telegram,
    webhook,
)
from monitor.notify.base import ChannelKind

SINKS: dict[str, tuple[type[Any], type[Any], ChannelKind]] = {
    "webhook": (webhook.WebhookSpec, webhook.WebhookSink, webhook.KIND),
    "alertmanager_webhook": (
        alertmanager.AlertmanagerWebhookSpec,
        alertmanager.AlertmanagerWebhookSink,
        alertmanager.KIND,
    ),
    "alertmanager": (
        alertmanager.AlertmanagerSpec,
        alertmanager.AlertmanagerSink,
        alertmanager.KIND,
    ),
    "slack": (slack.SlackSpec, slack.SlackSink, slack.KIND),
    "discord": (discord.DiscordSpec, discord.DiscordSink, discord.KIND),
    "feishu": (feishu.FeishuSpec, feishu.FeishuSink, feishu.KIND),
    "dingtalk": (dingtalk.DingTalkSpec, dingtalk.DingTalkSink, dingtalk.KIND),
    "telegram": (telegram.TelegramSpec, telegram.TelegramSink, telegram.KIND),
    "email": (email.EmailSpec, email.EmailSink, email.KIND),
    "sms": (sms.TwilioSpec, sms.TwilioSink, sms.KIND),
    "jsonl": (jsonl.JsonlSpec, jsonl.JsonlSink, jsonl.KIND),
    "log": (log.LogSpec, log.LogSink, log.KIND),
}

ChannelSettings = Annotated[
    webhook.WebhookSpec
    | alertmanager.AlertmanagerWebhookSpec
    | alertmanager.AlertmanagerSpec
    | slack.SlackSpec
    | discord.DiscordSpec
    | feishu.FeishuSpec
    | dingtalk.DingTalkSpec
    | telegram.TelegramSpec
    | email.EmailSpec
    | sms.TwilioSpec
    | jsonl.JsonlSpec
    | log.LogSpec,
    Field(discriminator="type"),
]
