"""Durable outbox: every notification is written here before any attempt to send it, and
removed only after the channel accepted it. A crash or restart resends what was not
delivered; receivers dedupe on the notification key (at-least-once delivery).

SQLite in WAL mode with synchronous=FULL: a committed row survives a killed process and a
power cut. All calls run on one dedicated thread, so the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pydantic

from monitor.notify.base import Notification

T = TypeVar("T")
_CODEC: pydantic.TypeAdapter[Notification] = pydantic.TypeAdapter(Notification)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    key        TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    body       BLOB NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    REAL NOT NULL,
    created_at REAL NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, channel, next_at);
"""


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxRow:
    notification: Notification
    attempts: int
    next_at_s: float


def encode(notification: Notification) -> bytes:
    return orjson.dumps(notification)


def decode(body: bytes) -> Notification:
    return _CODEC.validate_python(orjson.loads(body))


class Outbox:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="outbox")
        self._db: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._run(self._connect)

    async def close(self) -> None:
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._thread.shutdown(wait=True)

    def _connect(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        self._db = db

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        assert self._db is not None, "outbox not open"
        return self._db.execute(sql, params).fetchall()

    async def put(self, notification: Notification, next_at_s: float) -> None:
        """Insert or replace (a growing group rewrites its row)."""
        await self._run(
            self._exec,
            "INSERT INTO outbox (key, channel, body, next_at, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET body = excluded.body, next_at = excluded.next_at",
            (
                notification.key,
                notification.channel,
                encode(notification),
                next_at_s,
                notification.created_at_s,
            ),
        )

    async def due(self, channel: str, now_s: float, limit: int = 50) -> list[OutboxRow]:
        rows = await self._run(
            self._exec,
            "SELECT body, attempts, next_at FROM outbox WHERE state = 'pending' AND channel = ?"
            " AND next_at <= ? ORDER BY next_at LIMIT ?",
            (channel, now_s, limit),
        )
        return [OutboxRow(decode(body), attempts, next_at) for body, attempts, next_at in rows]

    async def next_at(self, channel: str) -> float | None:
        rows = await self._run(
            self._exec,
            "SELECT MIN(next_at) FROM outbox WHERE state = 'pending' AND channel = ?",
            (channel,),
        )
        return rows[0][0] if rows else None

    async def delivered(self, key: str) -> None:
        await self._run(self._exec, "DELETE FROM outbox WHERE key = ?", (key,))

    async def reschedule(self, key: str, attempts: int, next_at_s: float, error: str) -> None:
        await self._run(
            self._exec,
            "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE key = ?",
            (attempts, next_at_s, error, key),
        )

    async def dead(self, key: str, attempts: int, error: str) -> None:
        await self._run(
            self._exec,
            "UPDATE outbox SET state = 'dead', attempts = ?, last_error = ? WHERE key = ?",
            (attempts, error, key),
        )

    async def counts(self) -> dict[str, int]:
        rows = await self._run(self._exec, "SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {"pending": 0, "dead": 0} | dict(rows)
