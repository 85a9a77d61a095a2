"""SQLite history (WAL): per-endpoint per-minute rollups and every alert event with its triage.
Writes are batched off the hot path (one dedicated thread, flushed every few seconds); rows
older than the retention are deleted. Charts and series are read back from here (nothing of
the past is held in memory), so they survive a restart and start-up loads nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from pathlib import Path
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from monitor.bounds import Seconds
from monitor.clock import Clock
from monitor.dbthread import DbThread
from monitor.models import AlertEvent
from monitor.notify.payload import alert_json
from monitor.queues import DropOldestQueue
from monitor.store.influx import InfluxExporter, InfluxSettings, rollup_line
from monitor.store.rollups import Rollup, Rollups

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rollups (
    endpoint_id TEXT NOT NULL, minute_s REAL NOT NULL, count INTEGER NOT NULL,
    errors INTEGER NOT NULL, p50_s REAL, p95_s REAL, p99_s REAL, max_s REAL,
    PRIMARY KEY (endpoint_id, minute_s)
);
CREATE TABLE IF NOT EXISTS alerts (
    at_s REAL NOT NULL, fingerprint TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_at ON alerts (at_s);
CREATE INDEX IF NOT EXISTS rollups_minute ON rollups (minute_s);
"""


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path = Path("data/history.sqlite3")
    retention_days: Annotated[float, Field(gt=0, le=3650)] = 30.0
    flush_s: Seconds = 5.0
    influx: InfluxSettings = Field(default_factory=InfluxSettings)


class History:
    def __init__(self, settings: StoreSettings) -> None:
        self._settings = settings
        self._thread = DbThread("history")
        self._db: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._thread.run(self._connect)

    def _connect(self) -> None:
        self._settings.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._settings.path, check_same_thread=False)
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect on a new database
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._thread.run(self._db.close)
            self._db = None
        self._thread.shutdown()

    def _write(
        self, rollups: list[tuple[str, Rollup]], alerts: list[AlertEvent], horizon_s: float
    ) -> None:
        assert self._db is not None
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(eid, *dataclasses.astuple(r)) for eid, r in rollups],
            )
            self._db.executemany(
                "INSERT INTO alerts VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        e.at_s,
                        e.fingerprint,
                        e.kind.value,
                        e.severity.value,
                        orjson.dumps(alert_json(e)),
                    )
                    for e in alerts
                ],
            )
            expired = self._db.execute("DELETE FROM rollups WHERE minute_s < ?", (horizon_s,))
            expired_alerts = self._db.execute("DELETE FROM alerts WHERE at_s < ?", (horizon_s,))
        if expired.rowcount or expired_alerts.rowcount:  # compaction: give the pages back
            self._db.execute("PRAGMA incremental_vacuum")

    async def save(
        self, rollups: list[tuple[str, Rollup]], alerts: list[AlertEvent], now_s: float
    ) -> None:
        horizon = now_s - self._settings.retention_days * 86400
        await self._thread.run(self._write, rollups, alerts, horizon)

    def _read_series(self, endpoint_id: str, since_s: float, limit: int) -> list[Rollup]:
        assert self._db is not None
        rows = self._db.execute(
            "SELECT minute_s, count, errors, p50_s, p95_s, p99_s, max_s FROM rollups"
            " WHERE endpoint_id = ? AND minute_s >= ? ORDER BY minute_s LIMIT ?",
            (endpoint_id, since_s, limit),
        )
        return [Rollup(*row) for row in rows]

    async def series(self, endpoint_id: str, since_s: float, limit: int) -> list[Rollup]:
        """Up to `limit` minutes of one endpoint from `since_s`, oldest first."""
        return await self._thread.run(self._read_series, endpoint_id, since_s, limit)

    def _read_buckets(
        self, endpoint_ids: tuple[str, ...], since_s: float, bucket_s: float, points: int
    ) -> dict[str, list[Rollup]]:
        assert self._db is not None
        rows = self._db.execute(
            "SELECT endpoint_id, MIN(minute_s), SUM(count), SUM(errors), MAX(p50_s),"
            " MAX(p95_s), MAX(p99_s), MAX(max_s) FROM rollups"
            f" WHERE endpoint_id IN ({','.join('?' * len(endpoint_ids))})"
            " AND minute_s >= ? AND minute_s < ?"
            " GROUP BY endpoint_id, CAST((minute_s - ?) / ? AS INTEGER) ORDER BY 1, 2",
            (*endpoint_ids, since_s, since_s + bucket_s * points, since_s, bucket_s),
        )
        out: dict[str, list[Rollup]] = {endpoint_id: [] for endpoint_id in endpoint_ids}
        for endpoint_id, *values in rows:
            out[endpoint_id].append(Rollup(*values))
        return out

    async def buckets(
        self, endpoint_ids: tuple[str, ...], since_s: float, bucket_s: float, points: int
    ) -> dict[str, list[Rollup]]:
        """Each endpoint's minutes from `since_s` merged into at most `points` buckets of
        `bucket_s` (later minutes are left out): counts
        summed, latencies the worst minute's (a spike stays visible). Aggregated by SQLite in
        the history thread: the event loop never sees the rows."""
        if not endpoint_ids:
            return {}
        return await self._thread.run(self._read_buckets, endpoint_ids, since_s, bucket_s, points)

    def _read_alerts(self, limit: int) -> list[dict[str, Any]]:
        assert self._db is not None
        rows = self._db.execute("SELECT body FROM alerts ORDER BY at_s DESC LIMIT ?", (limit,))
        return [orjson.loads(body) for (body,) in rows.fetchall()]

    async def recent_alerts(self, limit: int = 200) -> list[dict[str, Any]]:
        return await self._thread.run(self._read_alerts, limit)


async def history_writer(
    history: History,
    rollups: Rollups,
    feed: DropOldestQueue[AlertEvent],
    clock: Clock,
    flush_s: float,
    exporter: InfluxExporter | None = None,
) -> None:
    """Every `flush_s`: close the minutes that ended (endpoints gone quiet included), persist
    the rollups closed and the alert events seen since last time (and hand the rollups to the
    InfluxDB exporter, if any). `rollups` is fed by its own bus subscriber."""
    try:
        while True:
            await clock.sleep(flush_s)
            await _flush(history, rollups, feed, clock, exporter)
    finally:
        await asyncio.shield(_flush(history, rollups, feed, clock, exporter))  # the last batch


async def _flush(
    history: History,
    rollups: Rollups,
    feed: DropOldestQueue[AlertEvent],
    clock: Clock,
    exporter: InfluxExporter | None,
) -> None:
    events = []
    while feed.qsize():
        events.append(feed.get_nowait())
    rollups.close_before(clock.wall())
    closed = rollups.take_unsaved()
    if exporter is not None:
        for endpoint_id, rollup in closed:
            exporter.add(rollup_line(endpoint_id, rollup))
    await history.save(closed, events, clock.wall())
