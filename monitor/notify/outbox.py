"""Durable outbox: every notification is written here before any attempt to send it, and
removed only after the channel accepted it. A crash or restart resends what was not
delivered; receivers dedupe on the notification key (at-least-once delivery).

SQLite in WAL mode with synchronous=FULL: a committed row survives a killed process and a
power cut. All calls run on one dedicated thread, in the order they were made, so the event
loop never waits on the disk and a read always sees the writes made before it. `put_many`
writes any number of rows in ONE transaction: an alert storm costs a few commits, not one
per alert.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pydantic

from monitor.dbthread import DbThread
from monitor.notify.base import Notification

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
# Columns added after the first release: (name, declaration); added to older files at open.
_ADDED = (
    ("rank", "INTEGER NOT NULL DEFAULT 0"),  # the most severe event's rank: delivery order
    ("failing_since", "REAL"),  # first failed attempt; NULL while none failed
    ("fallback_done", "INTEGER NOT NULL DEFAULT 0"),  # the fallback channel has its copy
)
_UPSERT = (
    "INSERT INTO outbox (key, channel, body, next_at, created_at, rank)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
    " body = excluded.body, next_at = excluded.next_at, rank = excluded.rank"
)
_ROW = "SELECT body, attempts, next_at, failing_since, fallback_done FROM outbox"


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxRow:
    notification: Notification
    attempts: int
    next_at_s: float
    failing_since_s: float | None = None
    fallback_done: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Pending:
    """What waits for one channel: how many notifications, since when."""

    count: int = 0
    oldest_at_s: float | None = None


def encode(notification: Notification) -> bytes:
    return orjson.dumps(notification)


def decode(body: bytes) -> Notification:
    return _CODEC.validate_python(orjson.loads(body))


def rank(notification: Notification) -> int:
    return max((e.severity.rank for e in notification.events), default=0)


def _row(values: tuple[Any, ...]) -> OutboxRow:
    body, attempts, next_at, failing_since, fallback_done = values
    return OutboxRow(decode(body), attempts, next_at, failing_since, bool(fallback_done))


class Outbox:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread = DbThread("outbox")
        self._db: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._thread.run(self._connect)

    async def close(self) -> None:
        if self._db is not None:
            await self._thread.run(self._db.close)
            self._db = None
        self._thread.shutdown()

    def _connect(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        have = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
        for name, declaration in _ADDED:
            if name not in have:
                db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {declaration}")
        self._db = db

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        assert self._db is not None, "outbox not open"
        return self._db.execute(sql, params).fetchall()

    def _transaction(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        assert self._db is not None, "outbox not open"
        with self._db:  # one commit (one fsync) for all of them
            self._db.execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                self._db.execute(sql, params)

    async def put(self, notification: Notification, next_at_s: float) -> None:
        await self.put_many([(notification, next_at_s)])

    async def put_many(self, rows: Iterable[tuple[Notification, float]]) -> None:
        """Insert or replace (a growing group rewrites its row), all in one transaction."""
        statements = [
            (_UPSERT, (n.key, n.channel, encode(n), at, n.created_at_s, rank(n))) for n, at in rows
        ]
        if statements:
            await self._thread.run(self._transaction, statements)

    async def due(self, channel: str, now_s: float, limit: int = 20) -> list[OutboxRow]:
        """Rows whose time has come: the most severe first, the newest first within a
        severity, so a new alert never waits behind a backlog."""
        rows = await self._thread.run(
            self._exec,
            f"{_ROW} WHERE state = 'pending' AND channel = ? AND next_at <= ?"
            " ORDER BY rank DESC, created_at DESC LIMIT ?",
            (channel, now_s, limit),
        )
        return [_row(values) for values in rows]

    async def oldest(self, channel: str) -> OutboxRow | None:
        """The oldest pending row, whatever its schedule (the breaker probes with it)."""
        rows = await self._thread.run(
            self._exec,
            f"{_ROW} WHERE state = 'pending' AND channel = ? ORDER BY created_at LIMIT 1",
            (channel,),
        )
        return _row(rows[0]) if rows else None

    async def next_at(self, channel: str) -> float | None:
        rows = await self._thread.run(
            self._exec,
            "SELECT MIN(next_at) FROM outbox WHERE state = 'pending' AND channel = ?",
            (channel,),
        )
        return rows[0][0] if rows else None

    async def pending(self, channel: str) -> Pending:
        rows = await self._thread.run(
            self._exec,
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending' AND channel = ?",
            (channel,),
        )
        return Pending(*rows[0]) if rows else Pending()

    async def failing_since(self, channel: str, before_s: float) -> list[OutboxRow]:
        """Pending rows failing since `before_s` or earlier whose fallback has no copy yet."""
        rows = await self._thread.run(
            self._exec,
            f"{_ROW} WHERE state = 'pending' AND channel = ? AND fallback_done = 0"
            " AND failing_since <= ? ORDER BY failing_since",
            (channel, before_s),
        )
        return [_row(values) for values in rows]

    async def first_failing_at(self, channel: str) -> float | None:
        """When the longest-failing row without a fallback copy started failing."""
        rows = await self._thread.run(
            self._exec,
            "SELECT MIN(failing_since) FROM outbox WHERE state = 'pending' AND channel = ?"
            " AND fallback_done = 0",
            (channel,),
        )
        return rows[0][0] if rows else None

    async def copy_to_fallback(self, key: str, copy: Notification, now_s: float) -> None:
        """Queue `copy` on the fallback channel and mark `key` as copied, atomically."""
        await self._thread.run(
            self._transaction,
            [
                (_UPSERT, (copy.key, copy.channel, encode(copy), now_s, copy.created_at_s, 0)),
                ("UPDATE outbox SET fallback_done = 1 WHERE key = ?", (key,)),
            ],
        )

    async def delivered(self, key: str) -> None:
        await self._thread.run(self._exec, "DELETE FROM outbox WHERE key = ?", (key,))

    async def reschedule(
        self, key: str, attempts: int, next_at_s: float, error: str, failing_since_s: float
    ) -> None:
        await self._thread.run(
            self._exec,
            "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ?,"
            " failing_since = COALESCE(failing_since, ?) WHERE key = ?",
            (attempts, next_at_s, error, failing_since_s, key),
        )

    async def dead(self, key: str, attempts: int, error: str) -> None:
        await self._thread.run(
            self._exec,
            "UPDATE outbox SET state = 'dead', attempts = ?, last_error = ? WHERE key = ?",
            (attempts, error, key),
        )

    async def counts(self) -> dict[str, int]:
        rows = await self._thread.run(
            self._exec, "SELECT state, COUNT(*) FROM outbox GROUP BY state"
        )
        return {"pending": 0, "dead": 0} | dict(rows)
