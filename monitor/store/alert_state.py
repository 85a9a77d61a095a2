"""Durable alert state, in the embedded SQLite store (the history file, its own tables): the
firing alerts, their recent fires (flap history), the silences added through the API and
the recent incident list. Read back once at start (`load`); restored alerts then wait in
`monitor.detect.restore` until their rule decides them again.

The state of an alert is the last event told of it, as the notifier made it durable: a
FIRING, UPDATED or REMINDER keeps it, a RESOLVED ends it. A row is replaced only by an
event at least as recent, so a late copy (a triaged FIRING re-announced after its RESOLVED)
cannot bring an alert back. Writes run on one dedicated thread, a batch of events in one
transaction (`alert_state_writer`); alert events are transitions, so this is rare.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.bus.codec import CodecError, decode_as, encode
from monitor.dbthread import DbThread
from monitor.detect.restore import RestoredAlert
from monitor.detect.silences import Silence
from monitor.models import AlertEvent, AlertKind
from monitor.queues import DropOldestQueue
from monitor.store import incidents

log = logging.getLogger("monitor.store")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_state (
    fingerprint TEXT PRIMARY KEY, at_s REAL NOT NULL, resolved INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_fires (
    fingerprint TEXT NOT NULL, at_s REAL NOT NULL, PRIMARY KEY (fingerprint, at_s)
);
CREATE INDEX IF NOT EXISTS alert_fires_at ON alert_fires (at_s);
CREATE TABLE IF NOT EXISTS silences (
    id TEXT PRIMARY KEY, rule TEXT, venue TEXT, endpoint TEXT, starts_at_s REAL,
    ends_at_s REAL NOT NULL, comment TEXT NOT NULL
);
"""
_UPSERT = (
    "INSERT INTO alert_state VALUES (?, ?, ?, ?) ON CONFLICT(fingerprint) DO UPDATE SET"
    " at_s = excluded.at_s, resolved = excluded.resolved, body = excluded.body"
    " WHERE excluded.at_s >= alert_state.at_s"
)


@dataclasses.dataclass(frozen=True, slots=True)
class SavedState:
    """What a start restores."""

    alerts: tuple[RestoredAlert, ...] = ()
    silences: tuple[Silence, ...] = ()
    incidents: tuple[AlertEvent, ...] = ()  # oldest first


class AlertStateStore:
    def __init__(self, path: Path, keep_incidents: int, flap_window_s: float) -> None:
        self._path = path
        self._keep = keep_incidents
        self._flap_window_s = flap_window_s
        self._thread = DbThread("alert-state")
        self._db: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._thread.run(self._connect)

    def _connect(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path, check_same_thread=False, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA + incidents.SCHEMA)
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._thread.run(self._db.close)
            self._db = None
        self._thread.shutdown()

    def _conn(self) -> sqlite3.Connection:
        assert self._db is not None, "alert state store not open"
        return self._db

    async def load(self, now_s: float) -> SavedState:
        return await self._thread.run(self._load, now_s)

    def _load(self, now_s: float) -> SavedState:
        db = self._conn()
        with db:
            db.execute("DELETE FROM alert_fires WHERE at_s < ?", (now_s - self._flap_window_s,))
            db.execute("DELETE FROM silences WHERE ends_at_s <= ?", (now_s,))
        fires: dict[str, list[float]] = {}
        for fingerprint, at_s in db.execute("SELECT fingerprint, at_s FROM alert_fires"):
            fires.setdefault(fingerprint, []).append(at_s)
        rows = db.execute("SELECT body FROM alert_state WHERE resolved = 0").fetchall()
        alerts = []
        for (body,) in rows:
            try:
                event = decode_as(body, AlertEvent)
            except CodecError as exc:
                log.warning("alert_state_unreadable", extra={"problem": str(exc)})
                continue
            alerts.append(RestoredAlert(event, tuple(sorted(fires.get(event.fingerprint, ())))))
        silences = db.execute(
            "SELECT rule, venue, endpoint, starts_at_s, ends_at_s, comment, id FROM silences"
        ).fetchall()
        return SavedState(
            tuple(alerts),
            tuple(Silence(*row) for row in silences),
            tuple(incidents.latest(db, self._keep)),
        )

    async def save_events(self, events: Sequence[AlertEvent]) -> None:
        if events:
            await self._thread.run(self._save_events, events)

    def _save_events(self, events: Sequence[AlertEvent]) -> None:
        db = self._conn()
        with db:  # one transaction for the batch
            db.executemany(
                _UPSERT,
                [(e.fingerprint, e.at_s, e.kind is AlertKind.RESOLVED, encode(e)) for e in events],
            )
            db.executemany(
                "INSERT OR IGNORE INTO alert_fires VALUES (?, ?)",
                [(e.fingerprint, e.started_at_s) for e in events if e.kind is AlertKind.FIRING],
            )
            incidents.add(db, events, self._keep)

    async def add_silence(self, silence: Silence) -> None:
        await self._thread.run(
            self._write,
            "INSERT OR REPLACE INTO silences VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                silence.id,
                silence.rule,
                silence.venue,
                silence.endpoint,
                silence.starts_at_s,
                silence.ends_at_s,
                silence.comment,
            ),
        )

    async def remove_silence(self, silence_id: str) -> None:
        await self._thread.run(self._write, "DELETE FROM silences WHERE id = ?", (silence_id,))

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        db = self._conn()
        with db:
            db.execute(sql, params)


def _take(feed: DropOldestQueue[AlertEvent]) -> list[AlertEvent]:
    return [feed.get_nowait() for _ in range(feed.qsize())]


async def alert_state_writer(store: AlertStateStore, feed: DropOldestQueue[AlertEvent]) -> None:
    """Persist the alert events the notifier made durable, each batch in one transaction."""
    try:
        while True:
            events = [await feed.get()]
            await store.save_events(events + _take(feed))
    finally:
        await asyncio.shield(flush(store, feed))


async def flush(store: AlertStateStore, feed: DropOldestQueue[AlertEvent]) -> None:
    """Persist what waits in `feed` (at shutdown: what the notifier drained last)."""
    await store.save_events(_take(feed))
