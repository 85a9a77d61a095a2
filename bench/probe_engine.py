"""Full-pipeline throughput (probes + detector): N endpoints at a 1 s interval against the
simulator running in its own process. Reports achieved probes/s, scheduling lag p50/p99, CPU
seconds per 1,000 probes and peak RSS.

    python -m bench.probe_engine --endpoints 1000 --seconds 20 [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from monitor import app
from monitor.clock import SystemClock
from monitor.probes.histogram import Histogram
from monitor.settings import NotifySettings, Settings, TargetSettings
from monitor.store.history import StoreSettings


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(endpoints: int, seconds: float, warmup_s: float, url: str) -> dict[str, Any]:
    targets = [TargetSettings(name=f"t{i}", url=url) for i in range(endpoints)]
    scratch = tempfile.TemporaryDirectory()
    notify = NotifySettings(outbox_path=Path(scratch.name) / "outbox.sqlite3")
    store = StoreSettings(path=Path(scratch.name) / "history.sqlite3")
    settings = Settings(interval_s=1.0, timeout_s=2.0, targets=targets, enabled_exchanges=[],
                        notify=notify, store=store)  # fmt: skip
    clock = SystemClock()
    stop = asyncio.Event()
    marks: dict[str, float] = {}

    async def observe(runtime: app.Runtime) -> None:
        await clock.sleep(warmup_s)
        stats = runtime.stats
        stats.sched_lag = Histogram()  # forget the warm-up
        marks.update(t0=clock.monotonic(), cpu0=_cpu_s(), probes0=stats.probes)
        await clock.sleep(seconds)
        marks.update(t1=clock.monotonic(), cpu1=_cpu_s(), probes1=stats.probes)
        stop.set()

    runtime = await app.run(settings, clock, stop, observe)
    scratch.cleanup()
    probes = marks["probes1"] - marks["probes0"]
    lag = runtime.stats.sched_lag
    return {
        "endpoints": endpoints,
        "intended_per_s": float(endpoints),
        "probes_per_s": round(probes / (marks["t1"] - marks["t0"]), 1),
        "sched_lag_p50_ms": round((lag.quantile(0.5) or 0) * 1000, 3),
        "sched_lag_p99_ms": round((lag.quantile(0.99) or 0) * 1000, 3),
        "cpu_s_per_1000": round((marks["cpu1"] - marks["cpu0"]) / probes * 1000, 4),
        "missed_ticks": runtime.stats.missed_ticks,
        "dropped": runtime.results.dropped,
        "alerts_pending": runtime.alerts.qsize(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--port", type=int, default=18701)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    sim = subprocess.Popen(
        [sys.executable, "-m", "monitor", "sim", "--latency-ms", "0", "--jitter-ms", "0",
         "--base-port", str(args.port), "--control-port", str(args.port - 1)],
        stdout=subprocess.PIPE, env={**os.environ, "MONITOR_LOG_LEVEL": "WARNING"},
    )  # fmt: skip
    try:
        assert sim.stdout is not None
        sim.stdout.readline()  # the first base-URL line: the simulator is listening
        url = f"http://127.0.0.1:{args.port}/api/v3/ping"
        factory = None
        if args.uvloop:
            import uvloop  # noqa: PLC0415

            factory = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=factory) as runner:
            report = runner.run(measure(args.endpoints, args.seconds, args.warmup, url))
    finally:
        sim.terminate()
        sim.wait(10)
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
