"""Canary secrets in every sink's settings never reach logs, errors, the outbox or repr().

`channels()` holds one row per channel type, every secret field set to the canary
(tests/notify/test_sinks_contract.py fails for a registered type without its row)."""

from __future__ import annotations

import asyncio
import io
import logging
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from monitor import logs
from monitor.clock import SystemClock
from monitor.models import AlertEvent
from monitor.notify import build_channels
from monitor.notify.base import SinkContext
from monitor.notify.notifier import Notifier
from monitor.notify.outbox import Outbox
from monitor.retry import BreakerSettings, RetrySettings
from monitor.settings import NotifySettings
from tests.notify.helpers import event
from tests.ports import free_port

CANARY = "canary-s3cr3t-4242"


def channels(port: int, folder: Path) -> list[dict[str, object]]:
    base = f"http://127.0.0.1:{port}"
    return [
        {
            "type": "webhook",
            "name": "webhook",
            "url": f"{base}/hook/{CANARY}",
            "secret": CANARY,
            "headers": {"Authorization": f"Bearer {CANARY}"},
        },
        {
            "type": "alertmanager_webhook",
            "name": "amw",
            "url": base,
            "headers": {"Authorization": CANARY},
        },
        {"type": "alertmanager", "name": "am", "url": base, "headers": {"Authorization": CANARY}},
        {"type": "slack", "name": "slack", "url": f"{base}/services/{CANARY}"},
        {"type": "discord", "name": "discord", "url": f"{base}/api/webhooks/1/{CANARY}"},
        {"type": "feishu", "name": "feishu", "url": f"{base}/hook/{CANARY}", "secret": CANARY},
        {
            "type": "dingtalk",
            "name": "dingtalk",
            "url": f"{base}/robot?access_token={CANARY}",
            "secret": CANARY,
        },
        {
            "type": "telegram",
            "name": "telegram",
            "bot_token": f"1:{CANARY}",
            "chat_id": "1",
            "api_base": base,
        },
        {
            "type": "email",
            "name": "email",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": "ops",
            "password": CANARY,
            "sender": "a@example.com",
            "to": ["b@example.com"],
        },
        {
            "type": "sms",
            "name": "sms",
            "account_sid": "AC" + "1" * 32,
            "auth_token": CANARY,
            "from_number": "+1",
            "to": ["+2"],
            "api_base": base,
        },
        {"type": "jsonl", "name": "jsonl", "path": str(folder / "alerts.jsonl")},
        {"type": "log", "name": "log"},
    ]


class Settled(logging.Handler):
    """Sets `all_in` once `expected` notifications have been delivered or dead-lettered."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.all_in = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() in ("notification_dead", "notification_sent"):
            self.expected -= 1
            if self.expected == 0:
                self.all_in.set()


async def test_no_sink_leaks_its_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    formatted = io.StringIO()
    json_handler = logging.StreamHandler(formatted)
    json_handler.setFormatter(logs.JsonFormatter())
    logging.getLogger().addHandler(json_handler)
    settings = NotifySettings.model_validate(
        {
            "channels": [{**c, "min_severity": "low"} for c in channels(free_port(), tmp_path)],
            "outbox_path": tmp_path / "outbox.sqlite3",
        }
    )
    settled = Settled(len(settings.channels))
    logging.getLogger("monitor.notify").addHandler(settled)
    outbox = Outbox(settings.outbox_path)
    await outbox.open()
    async with aiohttp.ClientSession() as session:
        ctx = SinkContext(session, SystemClock())
        built = build_channels(settings.channels, ctx)
        notifier = Notifier(
            built,
            outbox,
            SystemClock(),
            group_window_s=0.001,
            retry=RetrySettings(base_s=0.001, max_retry_s=0.05),
            breaker=BreakerSettings(threshold=10_000),  # dead-lettered by time, not rested
        )
        alerts: asyncio.Queue[AlertEvent] = asyncio.Queue()
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(f(), name=n) for n, f in notifier.tasks(alerts)]
            await notifier.accept(event())
            async with asyncio.timeout(10):
                await settled.all_in.wait()
            for task in tasks:
                task.cancel()
    await outbox.close()
    logging.getLogger().removeHandler(json_handler)
    logging.getLogger("monitor.notify").removeHandler(settled)
    with sqlite3.connect(settings.outbox_path) as db:
        stored = " ".join(str(row) for row in db.execute("SELECT * FROM outbox"))
    surfaces = [
        caplog.text,
        formatted.getvalue(),
        stored,
        repr(settings),
        str(settings),
        repr(built),
    ]
    surfaces += [str(s.model_dump()) for s in settings.channels]
    for text in surfaces:
        assert CANARY not in text
    assert "notification_dead" in formatted.getvalue()  # failures were logged, without secrets
