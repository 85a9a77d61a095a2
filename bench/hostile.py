"""Hostile targets against the real probe: for each case, time to outcome, RSS growth, and
how much the latency of well-behaved control probes inflates meanwhile.

The hostile server runs in its own process (`python -m monitor.sim.hostile`), so that its
work shares neither this loop nor this process's memory; the control probes hit the `ok`
path of a second such process, so that what slows them is this process, not the target.
A 5 ms ticker also records the longest stall of this loop during each case.

    python -m bench.hostile [--bomb-mb 1024] [--cap 1048576] [--timeout 2] [--controls 20]

Targets: each case reaches its expected outcome within its deadline (the probe's timeout for
the cases that hang, a tenth of it for the rest), RSS grows < 20 MB, control inflation p99
< 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson

from monitor.app import sessions
from monitor.clock import SystemClock
from monitor.models import Outcome
from monitor.probes.body import BodyLimits
from monitor.probes.http import HttpProbe
from monitor.probes.kinds import build_plan
from monitor.probes.plan import Plan, ProbePlan
from monitor.settings import Settings
from monitor.sim.hostile import UNRESOLVABLE_URL, Hostile

RESULTS = Path(__file__).parent / "results"
CLOCK = SystemClock()
RSS_LIMIT_MB = 20.0
INFLATION_LIMIT_MS = 20.0
HANGS = frozenset({Hostile.SLOW_BODY, Hostile.ENDLESS_HEADERS, Hostile.SILENT})
EXPECTED: dict[str, Outcome] = {
    Hostile.OK: Outcome.OK,
    Hostile.BIG_LENGTH: Outcome.BAD_PAYLOAD,
    Hostile.BIG_CHUNKED: Outcome.BAD_PAYLOAD,
    Hostile.GZIP_BOMB_LENGTH: Outcome.BAD_PAYLOAD,
    Hostile.GZIP_BOMB_CHUNKED: Outcome.BAD_PAYLOAD,
    Hostile.DEFLATE_BOMB_LENGTH: Outcome.BAD_PAYLOAD,
    Hostile.DEFLATE_BOMB_CHUNKED: Outcome.BAD_PAYLOAD,
    Hostile.BR_BOMB_LENGTH: Outcome.BAD_PAYLOAD,
    Hostile.BR_BOMB_CHUNKED: Outcome.BAD_PAYLOAD,
    Hostile.ZSTD_BOMB_LENGTH: Outcome.BAD_PAYLOAD,
    Hostile.ZSTD_BOMB_CHUNKED: Outcome.BAD_PAYLOAD,
    Hostile.BR_SMALL: Outcome.OK,
    Hostile.ZSTD_SMALL: Outcome.OK,
    Hostile.SLOW_BODY: Outcome.TIMEOUT,
    Hostile.ENDLESS_HEADERS: Outcome.TIMEOUT,
    Hostile.SILENT: Outcome.TIMEOUT,
    Hostile.RESET_MID_BODY: Outcome.CONNECT_ERROR,
    Hostile.BAD_GZIP: Outcome.BAD_PAYLOAD,
    Hostile.BAD_UTF8: Outcome.BAD_PAYLOAD,
    Hostile.DEEP_JSON: Outcome.BAD_PAYLOAD,
    Hostile.HUGE_HEADER: Outcome.BAD_PAYLOAD,
    Hostile.MANY_HEADERS: Outcome.BAD_PAYLOAD,
    Hostile.REDIRECT_LOOP: Outcome.HTTP_ERROR,
    Hostile.REDIRECT_OFF_HOST: Outcome.HTTP_ERROR,
    Hostile.HTTP10_NO_LENGTH: Outcome.BAD_PAYLOAD,
    "tls": Outcome.CONNECT_ERROR,
    "unresolvable": Outcome.CONNECT_ERROR,
}


def plan(name: str, url: str, timeout_s: float) -> ProbePlan:
    """A generic target's plan, built as the service builds it from settings."""
    target = {"name": name, "url": url, "timeout_s": timeout_s}
    check = {"json_field": "status", "json_equals": "ok"}
    settings = Settings(enabled_exchanges=[], targets=[target | check])
    (probe,) = build_plan(settings).probes
    return probe


def rss_mb() -> float:
    """This process's peak resident set since the last `reset_peak()` (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM := current RSS


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclasses.dataclass
class Stalls:
    """The longest gap past its period seen by a ticker on this loop, since `reset()`."""

    period_s: float = 0.005
    worst_s: float = 0.0

    def reset(self) -> None:
        self.worst_s = 0.0

    async def run(self) -> None:
        while True:
            t0 = CLOCK.monotonic()
            await CLOCK.sleep(self.period_s)
            self.worst_s = max(self.worst_s, CLOCK.monotonic() - t0 - self.period_s)


@dataclasses.dataclass
class Controls:
    """Well-behaved probes at a fixed rate; their latencies, per phase of the run."""

    probes: list[HttpProbe]
    period_s: float
    latencies: list[float] = dataclasses.field(default_factory=list)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for i, probe in enumerate(self.probes):
                tg.create_task(self._loop(probe, i * self.period_s / len(self.probes)))

    async def _loop(self, probe: HttpProbe, offset_s: float) -> None:
        due = CLOCK.monotonic() + offset_s
        while True:
            await CLOCK.sleep_until(due)
            result = await probe.run(due, 0.0, 0.0)
            self.latencies.append(result.latency_s)
            due = max(due + self.period_s, CLOCK.monotonic())


@contextlib.asynccontextmanager
async def hostile_process(bomb_mb: int) -> AsyncIterator[tuple[str, str]]:
    command = [sys.executable, "-m", "monitor.sim.hostile", "--bomb-mb", str(bomb_mb)]
    proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        base, tls = (await proc.stdout.readline()).decode().split()
        yield base, tls
    finally:
        proc.terminate()
        await proc.wait()


def url_of(case: str, base: str, tls: str) -> str:
    if case == "tls":
        return tls
    if case == "unresolvable":
        return UNRESOLVABLE_URL
    return f"{base}/{case}"


async def one_case(
    probe: HttpProbe, case: str, controls: Controls, stalls: Stalls, timeout_s: float
) -> dict[str, Any]:
    await CLOCK.sleep(0.2)  # controls settle
    mark = len(controls.latencies)
    stalls.reset()
    reset_peak()
    rss0 = rss_mb()
    t0 = CLOCK.monotonic()
    result = await probe.run(t0, 0.0, 0.0)
    elapsed = CLOCK.monotonic() - t0
    rss1 = rss_mb()
    await CLOCK.sleep(0.1)  # the controls that were delayed by this case finish
    during = controls.latencies[mark:]
    deadline = timeout_s if case in HANGS else timeout_s / 10
    return {
        "case": case,
        "outcome": result.outcome.value,
        "detail": result.detail,
        "expected": EXPECTED[case].value,
        "time_to_outcome_ms": round(elapsed * 1000, 2),
        "deadline_ms": round(deadline * 1000),
        "body_bytes": result.body_bytes,
        "rss_delta_mb": round(rss1 - rss0, 2),
        "loop_stall_max_ms": round(stalls.worst_s * 1000, 2),
        "control_samples": len(during),
        "control_p99_ms": round(quantile(during, 0.99) * 1000, 2),
        "ok": result.outcome is EXPECTED[case] and elapsed <= deadline + 0.05,
    }


async def measure(bomb_mb: int, cap: int, timeout_s: float, controls_n: int) -> dict[str, Any]:
    settings = Settings()
    limits = BodyLimits(cap, settings.body_max_ratio)
    async with (
        hostile_process(bomb_mb) as (base, tls),
        hostile_process(1) as (control_base, _),
        sessions(settings, CLOCK, Plan((), {})) as http,
    ):
        control_url = f"{control_base}/{Hostile.OK}"
        controls = Controls(
            [
                HttpProbe(plan(f"c{i}", control_url, timeout_s), http.warm, CLOCK, limits)
                for i in range(controls_n)
            ],
            period_s=0.05,
        )
        stalls = Stalls()
        background = [asyncio.create_task(controls.run()), asyncio.create_task(stalls.run())]
        await CLOCK.sleep(1.0)  # warm connections
        baseline_from = len(controls.latencies)
        await CLOCK.sleep(2.0)
        baseline = controls.latencies[baseline_from:]
        base_p50 = quantile(baseline, 0.5)
        rows = []
        for case in EXPECTED:
            target = plan("h", url_of(case, base, tls), timeout_s)
            row = await one_case(
                HttpProbe(target, http.cold, CLOCK, limits), case, controls, stalls, timeout_s
            )
            row["control_inflation_p99_ms"] = round(row["control_p99_ms"] - base_p50 * 1000, 2)
            rows.append(row)
            print(orjson.dumps(row).decode(), flush=True)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
    return summary(rows, baseline, bomb_mb, cap, timeout_s)


def summary(
    rows: list[dict[str, Any]],
    baseline: list[float],
    bomb_mb: int,
    cap: int,
    timeout_s: float,
) -> dict[str, Any]:
    worst_rss = max(r["rss_delta_mb"] for r in rows)
    worst_inflation = max(r["control_inflation_p99_ms"] for r in rows)
    worst_stall = max(r["loop_stall_max_ms"] for r in rows)
    return {
        "bomb_mb": bomb_mb,
        "cap_bytes": cap,
        "timeout_s": timeout_s,
        "control_baseline_p50_ms": round(quantile(baseline, 0.5) * 1000, 2),
        "control_baseline_p99_ms": round(quantile(baseline, 0.99) * 1000, 2),
        "cases": rows,
        "all_outcomes_in_time": all(r["ok"] for r in rows),
        "worst_rss_delta_mb": worst_rss,
        "worst_control_inflation_p99_ms": worst_inflation,
        "worst_loop_stall_ms": worst_stall,
        "pass": all(r["ok"] for r in rows)
        and worst_rss < RSS_LIMIT_MB
        and worst_inflation < INFLATION_LIMIT_MS,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Hostile targets (bomb {report['bomb_mb']} MB, cap {report['cap_bytes']} bytes, "
        f"timeout {report['timeout_s']} s; control baseline p50/p99 "
        f"{report['control_baseline_p50_ms']} / {report['control_baseline_p99_ms']} ms):",
        "",
        "| case | outcome | detail | time to outcome ms | deadline ms | RSS delta MB "
        "| loop stall max ms | control inflation p99 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["cases"]:
        mark = "" if r["ok"] else " (FAIL)"
        lines.append(
            f"| {r['case']} | {r['outcome']}{mark} | {r['detail'] or ''} | "
            f"{r['time_to_outcome_ms']} | {r['deadline_ms']} | {r['rss_delta_mb']} | "
            f"{r['loop_stall_max_ms']} | {r['control_inflation_p99_ms']} |"
        )
    verdict = "PASS" if report["pass"] else "FAIL"
    lines += [
        "",
        f"{verdict}: worst RSS delta {report['worst_rss_delta_mb']} MB (< {RSS_LIMIT_MB:g}), "
        f"worst control inflation p99 {report['worst_control_inflation_p99_ms']} ms "
        f"(< {INFLATION_LIMIT_MS:g}), worst loop stall {report['worst_loop_stall_ms']} ms",
    ]
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    args.add_argument("--bomb-mb", type=int, default=1024)
    args.add_argument("--cap", type=int, default=1 << 20, help="body_max_bytes for the probes")
    args.add_argument("--timeout", type=float, default=2.0)
    args.add_argument("--controls", type=int, default=20)
    return args


async def run(options: argparse.Namespace) -> dict[str, Any]:
    return await measure(options.bomb_mb, options.cap, options.timeout, options.controls)


if __name__ == "__main__":
    report = asyncio.run(run(parser().parse_args()))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    (RESULTS / "hostile.md").write_text(markdown(report))
    print(markdown(report))
