"""`python -m bench.surfaces`: what the surfaces cost a loaded monitor. The real service with
N generic endpoints at 1 s against a local target, and H hours of per-minute history
generated into its SQLite store beforehand. Measures start-up (spawn to /healthz), peak RSS,
each surface's response size and the worst stall of the event loop while it is served (the
slowest /healthz answered meanwhile), and the probe ticks skipped during a minute of loading
the status page every second against a minute without. Writes bench/results/surfaces.{json,md}.

    python -m bench.surfaces [--endpoints 1000] [--hours 24] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sqlite3
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson

from bench.service import Service, free_port, service, serving, write_config
from monitor.clock import SystemClock
from monitor.store.history import History, StoreSettings

RESULTS = Path(__file__).parent / "results"
CLOCK = SystemClock()
SURFACES = (
    "/",
    "/api/v1/status",
    "/api/v1/alerts",
    "/api/v1/self",
    "/api/v1/endpoints/t0.http/series?hours=24",
    "/metrics",
)


def _rows(
    endpoint_ids: list[str], first_minute_s: float, minutes: int
) -> Iterator[tuple[Any, ...]]:
    for m in range(minutes):
        minute_s = first_minute_s + m * 60.0
        for i, endpoint_id in enumerate(endpoint_ids):
            base = 0.002 + (i % 7) * 0.001 + (m % 60) * 0.00005
            yield (endpoint_id, minute_s, 60, m % 50 == 0, base, base * 2, base * 3, base * 4)


async def generate_history(path: Path, endpoint_ids: list[str], hours: float) -> int:
    """Per-minute rollups for every endpoint over the last `hours`, in the service's schema."""
    history = History(StoreSettings(path=path))
    await history.open()
    await history.close()
    minutes = int(hours * 60)
    now_minute = CLOCK.wall() // 60 * 60
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT OR REPLACE INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _rows(endpoint_ids, now_minute - minutes * 60.0, minutes),
        )
    return minutes * len(endpoint_ids)


@contextlib.asynccontextmanager
async def target(port: int, core: int) -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        "taskset", "-c", str(core), sys.executable, "-m", "bench.target", str(port)
    )
    async with serving(proc, port, tries=200) as url:
        yield url


async def _ping(svc: Service, done: asyncio.Event) -> float:
    """The slowest /healthz while `done` is unset: how long the loop stalled at worst."""
    worst = 0.0
    while not done.is_set():
        started = CLOCK.monotonic()
        async with svc.session.get(f"{svc.url}/healthz") as response:
            await response.read()
        worst = max(worst, CLOCK.monotonic() - started)
    return worst


async def surface(svc: Service, path: str) -> dict[str, Any]:
    done = asyncio.Event()
    pinger = asyncio.create_task(_ping(svc, done))
    started = CLOCK.monotonic()
    async with svc.session.get(f"{svc.url}{path}") as response:
        body = await response.read()
        status = response.status
    elapsed = CLOCK.monotonic() - started
    done.set()
    return {
        "path": path,
        "status": status,
        "bytes": len(body),
        "response_ms": round(elapsed * 1000, 1),
        "worst_healthz_ms": round(await pinger * 1000, 1),
    }


async def quiet_stall(svc: Service, seconds: float) -> float:
    done = asyncio.Event()
    pinger = asyncio.create_task(_ping(svc, done))
    await asyncio.sleep(seconds)  # noqa: TID251 - a benchmark measures wall time
    done.set()
    return round(await pinger * 1000, 1)


async def minute(svc: Service, seconds: float, path: str | None) -> dict[str, Any]:
    """Probe figures over `seconds`, loading `path` once a second meanwhile (if given)."""
    before = await svc.self_stats()
    loads, deadline = 0, CLOCK.monotonic() + seconds
    while (now := CLOCK.monotonic()) < deadline:
        if path is not None:
            async with svc.session.get(f"{svc.url}{path}") as response:
                await response.read()
            loads += 1
        await asyncio.sleep(max(0.0, 1.0 - (CLOCK.monotonic() - now)))  # noqa: TID251
    after = await svc.self_stats()
    elapsed = after["at_s"] - before["at_s"]
    return {
        "loading": path,
        "loads": loads,
        "probes_per_s": round((after["probes"] - before["probes"]) / elapsed, 1),
        "missed_ticks": after["missed_ticks"] - before["missed_ticks"],
        "dropped": after["dropped"] - before["dropped"],
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="exchange-monitor-surfaces-"))
    names = [f"t{i}" for i in range(args.endpoints)]
    store = root / "history.sqlite3"
    rows = await generate_history(store, [f"{n}.http" for n in names], args.hours)
    report: dict[str, Any] = {
        "at": dt.datetime.fromtimestamp(CLOCK.wall(), dt.UTC).isoformat(timespec="seconds"),
        "endpoints": args.endpoints,
        "history_hours": args.hours,
        "history_rows": rows,
    }
    async with target(free_port(), core=1) as url:
        config = root / "monitor.toml"
        write_config(
            config,
            {
                "enabled_exchanges": [],
                "interval_s": 1.0,
                "timeout_s": 1.0,
                "notify": {"outbox_path": str(root / "outbox.sqlite3")},
                "store": {"path": str(store)},
            },
            [{"name": n, "url": f"{url}/{n}"} for n in names],
            [{"type": "webhook", "name": "bench", "url": "http://127.0.0.1:9/unused"}],
        )
        started = CLOCK.monotonic()
        async with service(config, {}, core=0) as svc:
            report["startup_s"] = round(CLOCK.monotonic() - started, 2)
            report["startup_peak_rss_mb"] = round(svc.peak_rss_mb(), 1)
            await asyncio.sleep(args.warmup)  # noqa: TID251
            report["quiet_worst_healthz_ms"] = await quiet_stall(svc, 2.0)
            report["surfaces"] = [await surface(svc, path) for path in SURFACES]
            report["minutes"] = [
                await minute(svc, args.seconds, None),
                await minute(svc, args.seconds, "/"),
            ]
            report["peak_rss_mb"] = round(svc.peak_rss_mb(), 1)
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Surfaces {report['at']}: {report['endpoints']} endpoints at 1 s, "
        f"{report['history_hours']} h of history ({report['history_rows']} rollups)",
        "",
        f"Start-up {report['startup_s']} s, peak RSS {report['startup_peak_rss_mb']} MB at "
        f"start-up, {report['peak_rss_mb']} MB at the end; worst /healthz when idle "
        f"{report['quiet_worst_healthz_ms']} ms.",
        "",
        "| surface | status | bytes | response ms | worst /healthz meanwhile ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in report["surfaces"]:
        lines.append(
            f"| `{s['path']}` | {s['status']} | {s['bytes']} | {s['response_ms']} | "
            f"{s['worst_healthz_ms']} |"
        )
    lines += [
        "",
        "| loading | loads | probes/s | missed ticks | dropped |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in report["minutes"]:
        lines.append(
            f"| {m['loading'] or 'nothing'} | {m['loads']} | {m['probes_per_s']} | "
            f"{m['missed_ticks']} | {m['dropped']} |"
        )
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    args.add_argument("--endpoints", type=int, default=1000)
    args.add_argument("--hours", type=float, default=24.0)
    args.add_argument("--seconds", type=float, default=60.0)
    args.add_argument("--warmup", type=float, default=5.0)
    args.add_argument("--name", default="surfaces", help="results file name")
    return args


if __name__ == "__main__":
    arguments = parser().parse_args()
    result = asyncio.run(main(arguments))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{arguments.name}.json").write_bytes(
        orjson.dumps(result, option=orjson.OPT_INDENT_2)
    )
    (RESULTS / f"{arguments.name}.md").write_text(markdown(result))
    print(markdown(result))
