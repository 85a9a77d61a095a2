"""Optional export to InfluxDB: per-minute rollups and raw probe points, in line protocol over
HTTP, to the v1 (`/write?db=`) or v2 (`/api/v2/write?org=&bucket=`) write API. Points are
buffered and written in batches by one task; a failing InfluxDB costs history, never probes
(the buffer is bounded and drops its oldest points, counted)."""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, SecretStr

from monitor.bounds import Count, RequestTimeoutS, Seconds
from monitor.clock import Clock
from monitor.models import ProbeResult
from monitor.notify.base import DeliveryError
from monitor.notify.http import post
from monitor.store.rollups import Rollup
from monitor.urls import HttpUrlStr

log = logging.getLogger("monitor.influx")


class InfluxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    url: HttpUrlStr = "http://127.0.0.1:8086"
    api: Literal["v1", "v2"] = "v2"
    database: str = "exchange_monitor"  # v1
    org: str = ""  # v2
    bucket: str = "exchange_monitor"  # v2
    token: SecretStr | None = None  # v2 "Token ..."; v1 with auth: "user:password"
    raw_points: bool = False  # every probe, not only the per-minute rollups
    flush_s: Seconds = 10.0
    buffer_points: Count = 100_000
    timeout_s: RequestTimeoutS = 10.0


def _tag(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _fields(values: dict[str, float | int | str | None]) -> str:
    """Line-protocol fields: ints get an `i`, strings are quoted, None is left out."""
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, str):
            parts.append(f"{key}={_string(value)}")
        elif isinstance(value, int):
            parts.append(f"{key}={value}i")
        else:
            parts.append(f"{key}={value!r}")
    return ",".join(parts)


def rollup_line(endpoint_id: str, rollup: Rollup) -> str:
    venue, _, endpoint = endpoint_id.partition(".")
    fields = _fields(
        {
            "count": rollup.count,
            "errors": rollup.errors,
            "p50_s": rollup.p50_s,
            "p95_s": rollup.p95_s,
            "p99_s": rollup.p99_s,
            "max_s": rollup.max_s,
        }
    )
    return (
        f"probe_rollup,venue={_tag(venue)},endpoint={_tag(endpoint)} {fields} "
        f"{int(rollup.minute_s)}"
    )


def probe_line(result: ProbeResult) -> str:
    fields = _fields(
        {
            "latency_s": result.latency_s,
            "status": result.status,
            "outcome": result.outcome.value,
            "clock_offset_s": result.clock_offset_s,
        }
    )
    return (
        f"probe,venue={_tag(result.venue)},endpoint={_tag(result.endpoint)} {fields} "
        f"{int(result.started_wall_s)}"
    )


def write_request(settings: InfluxSettings) -> tuple[str, dict[str, str], dict[str, str]]:
    """URL, query parameters and headers of the write API (precision: seconds)."""
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if settings.api == "v2":
        if settings.token is not None:
            headers["Authorization"] = f"Token {settings.token.get_secret_value()}"
        params = {"org": settings.org, "bucket": settings.bucket, "precision": "s"}
        return f"{settings.url}/api/v2/write", params, headers
    params = {"db": settings.database, "precision": "s"}
    if settings.token is not None:
        user, _, password = settings.token.get_secret_value().partition(":")
        params |= {"u": user, "p": password}
    return f"{settings.url}/write", params, headers


class InfluxExporter:
    def __init__(self, settings: InfluxSettings, session: aiohttp.ClientSession) -> None:
        self._settings = settings
        self._session = session
        self._lines: collections.deque[str] = collections.deque(maxlen=settings.buffer_points)
        self.dropped = 0
        self.written = 0

    def add(self, line: str) -> None:
        if len(self._lines) == self._lines.maxlen:
            self.dropped += 1
        self._lines.append(line)

    def add_result(self, result: ProbeResult) -> None:
        """One probe's raw point (`raw_points`); fed by the exporter's own bus subscriber."""
        self.add(probe_line(result))

    async def flush(self) -> None:
        if not self._lines:
            return
        batch = list(self._lines)
        self._lines.clear()
        url, params, headers = write_request(self._settings)
        body = "\n".join(batch).encode()
        try:
            async with asyncio.timeout(self._settings.timeout_s):
                await post(self._session, url, 0.0, body=body, headers=headers, params=params)
            self.written += len(batch)
            return
        except DeliveryError as exc:
            log.warning("influx_write_failed", extra={"error": str(exc)})
        except TimeoutError:
            log.warning("influx_write_failed", extra={"error": "timeout"})
        # Not written: put the batch back before what arrived meanwhile (oldest drop first).
        room = self._settings.buffer_points - len(self._lines)
        kept = batch[-room:] if room > 0 else []
        self.dropped += len(batch) - len(kept)
        self._lines.extendleft(reversed(kept))


async def influx_writer(exporter: InfluxExporter, clock: Clock, flush_s: float) -> None:
    while True:
        await clock.sleep(flush_s)
        await exporter.flush()
