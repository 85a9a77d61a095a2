"""Probe-engine throughput: N endpoints at a fixed interval against the simulator running in
its own process. Reports achieved probes/s, scheduling lag and loop lag percentiles.

    python -m bench.probe_engine --endpoints 1000 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys

import orjson

from monitor import app
from monitor.clock import SystemClock
from monitor.settings import Settings, TargetSettings


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(endpoints: int, seconds: float, warmup_s: float, url: str) -> dict[str, float]:
    targets = [TargetSettings(name=f"t{i}", url=url) for i in range(endpoints)]
    settings = Settings(interval_s=1.0, timeout_s=2.0, targets=targets, enabled_exchanges=[])
    clock = SystemClock()
    stop = asyncio.Event()
    lags: list[float] = []
    latencies: list[float] = []
    counted = {"n": 0, "failed": 0}
    window: dict[str, float] = {}

    async def consume(runtime: app.Runtime) -> None:
        start = clock.monotonic()
        while True:
            result = await runtime.results.get()
            now = clock.monotonic()
            if now - start < warmup_s:
                window["t0"] = now
                window["cpu0"] = _cpu()
                continue
            counted["n"] += 1
            counted["failed"] += not result.outcome.is_success
            lags.append(result.sched_lag_s)
            latencies.append(result.latency_s)
            if now - start >= warmup_s + seconds:
                window["t1"] = now
                window["cpu1"] = _cpu()
                stop.set()
                return

    runtime = await app.run(settings, clock, stop, consume)
    elapsed = window["t1"] - window["t0"]
    return {
        "endpoints": endpoints,
        "probes_per_s": counted["n"] / elapsed,
        "intended_per_s": float(endpoints),
        "failed": counted["failed"],
        "sched_lag_p50_ms": pct(lags, 0.5) * 1000,
        "sched_lag_p99_ms": pct(lags, 0.99) * 1000,
        "latency_p50_ms": statistics.median(latencies) * 1000,
        "latency_p99_ms": pct(latencies, 0.99) * 1000,
        "cpu_s_per_1000": (window["cpu1"] - window["cpu0"]) / counted["n"] * 1000,
        "missed_ticks": runtime.stats.missed_ticks,
        "dropped": runtime.results.dropped,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
