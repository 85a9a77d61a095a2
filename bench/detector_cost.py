"""Detector cost per result: synthetic healthy results for the five venues (16 endpoints),
fed straight into Detector.ingest on a manual clock.

    python -m bench.detector_cost --results 200000
"""

from __future__ import annotations

import argparse
import random
import time

import orjson

from monitor.app import make_detector
from monitor.bus.local import LocalBus
from monitor.exchanges import EndpointKind
from monitor.models import AlertEvent, Outcome, ProbeResult
from monitor.probes.kinds import build_plan
from monitor.probes.plan import ProbePlan
from monitor.settings import Settings


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + 1.75e9

    async def sleep(self, delay_s: float) -> None:
        raise NotImplementedError

    async def sleep_until(self, deadline: float) -> None:
        raise NotImplementedError


def synthetic(p: ProbePlan, clock: ManualClock, rng: random.Random, seq: int) -> ProbeResult:
    latency = 0.025 * rng.lognormvariate(0, 0.35)
    extra: dict[str, object] = {}
    if p.kind is EndpointKind.TIME:
        extra = {"clock_offset_s": rng.gauss(0, 0.003), "clock_uncertainty_s": latency / 2}
    elif p.kind is EndpointKind.MARKET:
        extra = {"data_time_s": clock.wall() - 0.2, "data_seq": str(seq)}
    return ProbeResult(
        p.endpoint_id,
        p.venue,
        p.endpoint,
        Outcome.OK,
        clock.monotonic(),
        clock.wall(),
        latency,
        0.0005,
        0.0002,
        status=200,
        **extra,  # type: ignore[arg-type]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=200_000)
    args = parser.parse_args()
    clock = ManualClock()
    settings = Settings(interval_s=1.0, timeout_s=1.0)
    plan = build_plan(settings)
    bus = LocalBus()
    alerts = bus.subscribe(AlertEvent, "bench", 100_000)
    detector = make_detector(settings, plan, clock, bus)
    rng = random.Random(1)
    probes = plan.probes
    batch = []
    for i in range(args.results):
        clock.now += 1.0 / len(probes)
        batch.append(synthetic(probes[i % len(probes)], clock, rng, i))
    started = time.perf_counter()  # noqa: TID251 - a benchmark measures real time
    for result in batch:
        detector.ingest(result)
    elapsed = time.perf_counter() - started  # noqa: TID251
    report = {
        "results": args.results,
        "detector_us_per_result": round(elapsed / args.results * 1e6, 2),
        "alerts": alerts.qsize(),
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
