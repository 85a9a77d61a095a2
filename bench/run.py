"""`make bench`: the real service (probes, detector, notifier with a local webhook receiver,
metrics on) against nginx answering after 50 ms, the monitor pinned to core 0 and the target
to core 1; then the durability of a 1,000-alert storm (`bench/storm.py`), what the surfaces
cost a loaded monitor (`bench/surfaces.py`) and the hostile targets (`bench/hostile.py`), each
also runnable alone. Writes bench/results/latest.json and latest.md.

    python -m bench.run [--sizes 1000,5000,10000] [--seconds 20] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench import hostile, storm, surfaces
from bench.nginx import nginx
from bench.service import diff_quantile, free_port, service, write_config
from bench.time_to_alert import time_to_webhook
from monitor.clock import SystemClock

DELAY_S = 0.05
RESULTS = Path(__file__).parent / "results"


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


async def measure(
    root: Path, target: str, endpoints: int, seconds: float, warmup_s: float
) -> dict[str, Any]:
    config = root / f"monitor-{endpoints}.toml"
    write_config(
        config,
        {
            "enabled_exchanges": [],
            "interval_s": 1.0,
            "timeout_s": 1.0,
            "notify": {"outbox_path": str(root / "outbox.sqlite3")},
            "store": {"path": str(root / "history.sqlite3")},
        },
        [{"name": f"t{i}", "url": f"{target}/t{i}"} for i in range(endpoints)],
        [{"type": "webhook", "name": "bench", "url": "http://127.0.0.1:9/unused"}],
    )
    async with service(config, {}, core=0) as svc:
        await asyncio.sleep(warmup_s)  # noqa: TID251 - a benchmark measures wall time
        before, cpu0 = await svc.self_stats(), svc.cpu_s()
        await asyncio.sleep(seconds)  # noqa: TID251
        after, cpu1 = await svc.self_stats(), svc.cpu_s()
        rss = svc.peak_rss_mb()
    probes = after["probes"] - before["probes"]
    elapsed = after["at_s"] - before["at_s"]

    def inflation(q: float) -> float | None:
        value = diff_quantile(before["latency"], after["latency"], q)
        return None if value is None else value - DELAY_S

    return {
        "endpoints": endpoints,
        "intended_per_s": float(endpoints),
        "achieved_per_s": round(probes / elapsed, 1),
        "coverage": round(probes / elapsed / endpoints, 4),
        "sched_lag_p50_ms": ms(diff_quantile(before["sched_lag"], after["sched_lag"], 0.5)),
        "sched_lag_p99_ms": ms(diff_quantile(before["sched_lag"], after["sched_lag"], 0.99)),
        "inflation_p50_ms": ms(inflation(0.5)),
        "inflation_p99_ms": ms(inflation(0.99)),
        "cpu_s_per_1000": round((cpu1 - cpu0) / probes * 1000, 4) if probes else None,
        "peak_rss_mb": round(rss, 1),
        "dropped": after["dropped"] - before["dropped"],
        "missed_ticks": after["missed_ticks"] - before["missed_ticks"],
        "detector_us_per_result": after.get("detector_us_per_result"),
    }


async def flood(
    root: Path, target: str, seconds: float, warmup_s: float, low: int, high: int, resolution: int
) -> dict[str, Any]:
    """The largest endpoint count (at 1 s) still probed at >= 99% of its intended rate,
    found by bisection between `low` (assumed sustainable) and `high`."""
    best: dict[str, Any] = {}
    tries = []
    while high - low > resolution:
        size = (low + high) // 2
        run = await measure(root, target, size, seconds, warmup_s)
        tries.append(
            {
                "endpoints": size,
                "coverage": run["coverage"],
                "achieved_per_s": run["achieved_per_s"],
            }
        )
        print(orjson.dumps(tries[-1]).decode(), flush=True)
        if run["coverage"] >= 0.99:
            low, best = size, run
        else:
            high = size
    return {"max_sustained_per_s": best.get("achieved_per_s"), "best": best, "tries": tries}


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Benchmark {report['at']}"]
    if report["sizes"]:
        lines += [
            "",
            "| endpoints | achieved/s | coverage | sched lag p50/p99 ms | inflation p50/p99 ms"
            " | CPU-s / 1000 | peak RSS MB | dropped |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
    for r in report["sizes"]:
        lines.append(
            f"| {r['endpoints']} | {r['achieved_per_s']} | {r['coverage']:.2%} | "
            f"{r['sched_lag_p50_ms']} / {r['sched_lag_p99_ms']} | "
            f"{r['inflation_p50_ms']} / {r['inflation_p99_ms']} | {r['cpu_s_per_1000']} | "
            f"{r['peak_rss_mb']} | {r['dropped']} |"
        )
    if report.get("flood"):
        lines += ["", f"Flood: max sustained {report['flood'].get('max_sustained_per_s')} probes/s"]
    for name, trial in (report.get("time_to_webhook") or {}).items():
        lines.append(
            f"Time to first webhook after a hard outage ({name}): "
            f"p50 {trial['p50_s']} s, p99 {trial['p99_s']} s over {trial['trials']}"
        )
    if report.get("storm"):
        lines += ["", storm.markdown(report["storm"]).rstrip("\n")]
    if report.get("surfaces"):
        lines += ["", surfaces.markdown(report["surfaces"]).rstrip("\n")]
    if report.get("hostile"):
        lines += ["", hostile.markdown(report["hostile"]).rstrip("\n")]
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="exchange-monitor-bench-"))
    now = dt.datetime.fromtimestamp(SystemClock().wall(), dt.UTC)
    report: dict[str, Any] = {
        "at": now.isoformat(timespec="seconds"),
        "delay_ms": DELAY_S * 1000,
        "sizes": [],
    }
    async with nginx(root / "nginx", free_port(), DELAY_S, core=1) as target:
        for size in args.sizes:
            report["sizes"].append(await measure(root, target, size, args.seconds, args.warmup))
            print(orjson.dumps(report["sizes"][-1]).decode(), flush=True)
        if args.flood:
            report["flood"] = await flood(
                root,
                target,
                args.seconds / 2,
                args.warmup,
                args.flood_low,
                args.flood_high,
                args.flood_resolution,
            )
    if args.trials:
        report["time_to_webhook"] = await time_to_webhook(root, args.trials)
    if args.storm:
        report["storm"] = await storm.run(storm.parser().parse_args([]))
    if args.surfaces:
        options = surfaces.parser().parse_args(args.surfaces_args)
        report["surfaces"] = await surfaces.main(options)
        print(surfaces.markdown(report["surfaces"]), flush=True)
    if args.hostile:
        report["hostile"] = await hostile.run(hostile.parser().parse_args(args.hostile_args))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=[1000, 5000, 10000]
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--flood", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--flood-low", type=int, default=1000)
    parser.add_argument("--flood-high", type=int, default=12000)
    parser.add_argument("--flood-resolution", type=int, default=250)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--storm", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--surfaces", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--surfaces-args", type=str.split, default=[], help='for bench.surfaces, e.g. "--hours 1"'
    )
    parser.add_argument("--hostile", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--hostile-args", type=str.split, default=[], help='for bench.hostile, e.g. "--bomb-mb 64"'
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds, tiny sizes")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.sizes, arguments.seconds, arguments.warmup = [50], 2.0, 1.0
        arguments.flood, arguments.trials = False, 1
        arguments.hostile_args = ["--bomb-mb", "64", "--controls", "5"]
        arguments.surfaces_args = [
            "--endpoints",
            "100",
            "--hours",
            "1",
            "--seconds",
            "3",
            "--warmup",
            "1",
        ]
    result = asyncio.run(main(arguments))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    (RESULTS / "latest.md").write_text(markdown(result))
    print(markdown(result))
