"""Stage 3: alert events -> routed, grouped, durable, retried notifications on every channel.

`_MEMBERS` is the one list of channel types: each sink module declares its `SinkMember` (spec
model, build function, kind) and the `SINKS` registry (settings' `type` -> member) and the
`ChannelSettings` discriminated union are both derived from it. Adding a channel is one module
plus its line here; tests/notify/test_sinks_contract.py checks that every member is complete.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

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
from monitor.notify.base import ChannelKind, ChannelSpec, Sink, SinkContext, SinkMember

_MEMBERS: tuple[SinkMember[Any], ...] = (
    webhook.SINK,
    alertmanager.WEBHOOK_SINK,
    alertmanager.SINK,
    slack.SINK,
    discord.SINK,
    feishu.SINK,
    dingtalk.SINK,
    telegram.SINK,
    email.SINK,
    sms.SINK,
    jsonl.SINK,
    log.SINK,
)

SINKS: dict[str, SinkMember[Any]] = {member.type: member for member in _MEMBERS}


def channel_union(members: Iterable[SinkMember[Any]]) -> Any:
    """The settings type of a channel: the members' specs, told apart by `type`."""
    specs = functools.reduce(operator.or_, (member.spec for member in members))
    return Annotated[specs, Field(discriminator="type")]


if TYPE_CHECKING:
    ChannelSettings = ChannelSpec
else:
    ChannelSettings = channel_union(_MEMBERS)


def build_channels(
    specs: Sequence[ChannelSpec], ctx: SinkContext
) -> list[tuple[ChannelSpec, ChannelKind, Sink]]:
    """Each configured channel with its kind and its sink, as the notifier takes them."""
    return [(spec, SINKS[spec.type].kind, SINKS[spec.type].build(spec, ctx)) for spec in specs]
