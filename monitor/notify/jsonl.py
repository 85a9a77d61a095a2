"""A JSON-lines file: one webhook-v1 payload per line, flushed and fsynced before the
notification counts as delivered."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Literal

import orjson

from monitor.notify.base import (
    ChannelKind,
    ChannelSpec,
    DeliveryError,
    Notification,
    SinkBase,
    SinkMember,
)
from monitor.notify.payload import build_payload


class JsonlSpec(ChannelSpec):
    type: Literal["jsonl"] = "jsonl"
    path: Path


def _append(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


class JsonlSink(SinkBase[JsonlSpec]):
    async def send(self, notification: Notification) -> None:
        line = orjson.dumps(build_payload(notification, self._ctx.clock.wall())) + b"\n"
        try:
            await asyncio.to_thread(_append, self._spec.path, line)
        except OSError as exc:
            raise DeliveryError(f"file: {exc.strerror}", retryable=True) from None


SINK = SinkMember(JsonlSpec, JsonlSink, ChannelKind.MACHINE)
