"""The recent incident list in the SQLite store: the latest alert events, each as its bus
record (versioned codec), so the list reads back exactly as the surfaces showed it. Plain
functions on a connection; `monitor.store.alert_state` owns the connection and its thread."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from monitor.bus.codec import CodecError, decode_as, encode
from monitor.models import AlertEvent

log = logging.getLogger("monitor.store")
SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL
);
"""


def add(db: sqlite3.Connection, events: Sequence[AlertEvent], keep: int) -> None:
    """Append `events` and keep only the latest `keep` (inside the caller's transaction)."""
    if not events:
        return
    db.executemany("INSERT INTO incidents (body) VALUES (?)", [(encode(e),) for e in events])
    db.execute("DELETE FROM incidents WHERE seq <= (SELECT MAX(seq) FROM incidents) - ?", (keep,))


def latest(db: sqlite3.Connection, limit: int) -> list[AlertEvent]:
    """The latest `limit` events, oldest first; a row this build cannot read is skipped."""
    rows = db.execute("SELECT body FROM incidents ORDER BY seq DESC LIMIT ?", (limit,))
    out = []
    for (body,) in rows.fetchall():
        try:
            out.append(decode_as(body, AlertEvent))
        except CodecError as exc:
            log.warning("incident_unreadable", extra={"problem": str(exc)})
    out.reverse()
    return out
