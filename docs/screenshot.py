"""Render the status page in headless Chromium and save docs/status-page.png.

    python docs/screenshot.py [--seconds 150] [--out docs/status-page.png]

Runs the demo (simulated exchanges + chaos timeline) in-process long enough to draw charts,
then asks Debian's Chromium for a screenshot, and fails if Chromium logs a console error.
Needs `apt-get install chromium`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from monitor import app
from monitor.__main__ import builtin_timeline
from monitor.clock import SystemClock
from monitor.detect.thresholds import DetectSettings
from monitor.settings import NotifySettings, Settings
from monitor.sim.server import SimCluster
from monitor.sim.timeline import play
from monitor.sim.wiring import point_at_sim
from monitor.store.history import StoreSettings
from monitor.tasks import Task
from monitor.web.config import WebSettings

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1500,2300",
]


async def shoot(url: str, out: Path, profile: str) -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    proc = await asyncio.create_subprocess_exec(
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    return err.decode(errors="replace")


async def main(seconds: float, out: Path) -> list[str]:
    """Run the demo, shoot the page; return Chromium's console errors."""
    clock = SystemClock()
    cluster = SimCluster(clock, base_latency_ms=15, jitter_ms=20, seed=7)
    await cluster.start()
    scratch = tempfile.mkdtemp(prefix="exchange-monitor-shot-")
    settings = point_at_sim(
        Settings(
            interval_s=1.0,
            timeout_s=1.0,
            detect=DetectSettings(window_max_age_s=60),
            notify=NotifySettings(outbox_path=Path(scratch) / "o.sqlite3"),
            store=StoreSettings(path=Path(scratch) / "h.sqlite3"),
            web=WebSettings(port=0),
        ),
        cluster.urls,
    )
    stop = asyncio.Event()
    logs: list[str] = []

    async def capture(runtime: app.Runtime) -> None:
        await clock.sleep(seconds)
        logs.append(await shoot(f"http://127.0.0.1:{runtime.listening['web']}/", out, scratch))
        stop.set()

    timeline = builtin_timeline()
    chaos: Task = ("chaos", lambda: play(timeline, cluster, clock))
    try:
        await app.run(settings, clock, stop, capture, extras=[chaos])
    finally:
        await cluster.stop()
    return [line for line in logs[0].splitlines() if "CONSOLE" in line and "rror" in line]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "status-page.png")
    args = parser.parse_args()
    out = args.out.resolve()
    errors = asyncio.run(main(args.seconds, out))
    print(f"saved {out}; console errors: {len(errors)}", *errors, sep="\n")
    sys.exit(1 if errors or not out.exists() else 0)
